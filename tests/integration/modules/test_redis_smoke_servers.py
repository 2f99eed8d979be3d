"""redis_smoke in direct mode, through ansible-playbook, against real redis-server processes."""

from __future__ import annotations

import subprocess

import pytest

from .ansible_run import run_module, run_tasks
from .conftest import REDIS_PASSWORDS

pytestmark = pytest.mark.servers


def probe_keys(port: int, password: str | None = None) -> list[str]:
    auth = ["--user", "default", "--pass", password, "--no-auth-warning"] if password else []
    out = subprocess.run(
        ["redis-cli", "-p", str(port), *auth, "--scan", "--pattern", "redis_smoke:*"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout.split()


def test_round_trip_reports_values_latencies_and_server_facts(redis_plain):
    result = run_module(
        "redis_smoke",
        dict(host="127.0.0.1", port=redis_plain.port, db=3, expect_maxmemory_policy="allkeys-lru",
             min_free_memory="1mb", min_version="7.0"),
    )  # fmt: skip
    assert not result.get("failed"), result["msg"]
    assert result["changed"] is False
    assert result["values"] == {"set": True, "incr": 2, "get": "2", "eval": 1, "delete": 1}
    assert set(result["latency_ms"]) == {"connect", "info", "set", "incr", "get", "eval", "delete", "total"}
    assert all(value >= 0 for value in result["latency_ms"].values()), result["latency_ms"]
    assert result["server"]["maxmemory"] == 64 * 1024 * 1024
    assert result["server"]["maxmemory_policy"] == "allkeys-lru"
    assert result["server"]["role"] == "master"
    assert result["server"]["redis_version"].startswith("7.")
    assert 0 < result["server"]["free_memory"] < result["server"]["maxmemory"]
    assert result["key"].startswith("redis_smoke:")
    assert probe_keys(redis_plain.port) == [], "the probe key must be gone"


def test_unix_socket_url(redis_plain, server_dir):
    result = run_module("redis_smoke", dict(url=f"unix://{server_dir}/server.sock?db=4"))
    assert not result.get("failed"), result["msg"]
    assert f"socket {server_dir}/server.sock db 4" in result["msg"]
    assert result["values"]["get"] == "2"


def test_check_mode_reads_only(redis_plain):
    result = run_module("redis_smoke", dict(host="127.0.0.1", port=redis_plain.port), check=True)
    assert not result.get("failed"), result["msg"]
    assert result["values"] == {}
    assert "check mode" in result["msg"]
    assert result["server"]["redis_version"]
    assert set(result["latency_ms"]) == {"connect", "info", "total"}


def test_assertions_fail_with_reason_assertion(redis_plain):
    target = dict(host="127.0.0.1", port=redis_plain.port)
    run = run_tasks(
        [
            ("redis_smoke", dict(target, expect_maxmemory_policy="noeviction")),
            ("redis_smoke", dict(target, min_free_memory="1gb")),
            ("redis_smoke", dict(target, min_version="99.1")),
        ]
    )
    policy, memory, version = run.results
    for result in run.results:
        assert result["failed"] and result["reason"] == "assertion", result["msg"]
    assert "maxmemory_policy is 'allkeys-lru', expected 'noeviction'" in policy["msg"]
    assert "below min_free_memory 1073741824" in memory["msg"]
    assert "older than 99.1" in version["msg"]
    assert probe_keys(redis_plain.port) == []


def test_unlimited_maxmemory_warns_instead_of_comparing(redis_acl):
    result = run_module(
        "redis_smoke",
        dict(host="127.0.0.1", port=redis_acl.port, username="app", password="app-secret-pw", min_free_memory="64mb"),
    )
    assert not result.get("failed"), result["msg"]
    assert result["server"]["maxmemory"] == 0 and result["server"]["free_memory"] is None
    assert any("maxmemory is 0" in warning for warning in result["warnings"])


def test_auth_and_acl_failures_are_told_apart_and_secrets_stay_hidden(redis_acl):
    port = redis_acl.port
    run = run_tasks(
        [
            ("redis_smoke", dict(host="127.0.0.1", port=port)),
            ("redis_smoke", dict(host="127.0.0.1", port=port, password="default-secret-pw-but-wrong")),
            ("redis_smoke", dict(host="127.0.0.1", port=port, username="noeval", password="noeval-secret-pw")),
            ("redis_smoke", dict(host="127.0.0.1", port=port, username="noinfo", password="noinfo-secret-pw")),
            ("redis_smoke", dict(url=f"redis://app:app-secret-pw@127.0.0.1:{port}/2")),
            ("redis_smoke", dict(host="127.0.0.1", port=port, password="default-secret-pw")),
        ]
    )
    no_password, wrong_password, no_eval, no_info, by_url, default_user = run.results
    assert no_password["reason"] == "auth" and "none was given" in no_password["msg"]
    assert wrong_password["reason"] == "auth"
    assert no_eval["reason"] == "acl", no_eval["msg"]
    assert "EVAL" in no_eval["msg"] and no_eval["values"]["get"] == "2"
    assert not no_info.get("failed"), no_info["msg"]
    assert no_info["server"] == {} and any("INFO" in w for w in no_info["warnings"])
    assert not by_url.get("failed"), by_url["msg"]
    assert "app-secret-pw" not in by_url["msg"]
    assert not default_user.get("failed"), default_user["msg"]
    for password in REDIS_PASSWORDS:
        assert password not in run.output, f"{password} leaked into Ansible's output"
    assert probe_keys(port, "default-secret-pw") == [], "a failed round trip must not leave its key"


def test_closed_port_is_unreachable_and_fails_fast(redis_plain):
    from .servers import free_port

    result = run_module("redis_smoke", dict(host="127.0.0.1", port=free_port(), connect_timeout=2))
    assert result["failed"] and result["reason"] == "unreachable"
    assert "Connection refused" in result["msg"] or "111" in result["msg"]


def test_tls_with_client_certificates(redis_tls, tls_files):
    port = redis_tls.port
    client = dict(client_cert=str(tls_files.client_cert), client_key=str(tls_files.client_key))
    run = run_tasks(
        [
            ("redis_smoke", dict(url=f"rediss://127.0.0.1:{port}/0", ca_cert=str(tls_files.ca_cert), **client)),
            ("redis_smoke", dict(host="localhost", port=port, tls=True, ca_cert=str(tls_files.ca_cert), **client)),
            ("redis_smoke", dict(host="127.0.0.1", port=port, tls=True, validate_certs=False, **client)),
            (
                "redis_smoke",
                dict(host="127.0.0.1", port=port, tls=True, ca_cert=str(tls_files.other_ca_cert), **client),
            ),
            ("redis_smoke", dict(host="127.0.0.1", port=port, tls=True, ca_cert=str(tls_files.ca_cert))),
            ("redis_smoke", dict(host="127.0.0.1", port=port, connect_timeout=2)),
        ]
    )
    by_url, by_host, unverified, wrong_ca, no_client_cert, plain_to_tls = run.results
    for result in (by_url, by_host, unverified):
        assert not result.get("failed"), result["msg"]
        assert result["values"]["get"] == "2"
    assert f"Redis at 127.0.0.1:{port} db 0 (TLS)" in by_url["msg"]
    assert wrong_ca["reason"] == "unreachable" and "certificate verify failed" in wrong_ca["msg"].lower()
    assert no_client_cert["failed"] and no_client_cert["reason"] == "unreachable"
    assert plain_to_tls["failed"] and plain_to_tls["reason"] == "unreachable"


def test_bad_input_is_rejected_by_ansible_naming_the_field(redis_plain):
    run = run_tasks(
        [
            ("redis_smoke", dict(url="redis://h:70000/1")),
            ("redis_smoke", dict(db="x")),
            ("redis_smoke", dict(url=f"redis://127.0.0.1:{redis_plain.port}/0", host="127.0.0.1")),
            ("redis_smoke", dict(connect_timeout=-1)),
            ("redis_smoke", dict(mode="cluster")),
            ("redis_smoke", dict(url="redis://:pw-in-bad-url@127.0.0.1:99999/0")),
            ("redis_smoke", dict(port=redis_plain.port, expect_backend="django_redis.cache.RedisCache")),
        ]
    )
    expectations = ["url: port '70000'", "'db'", "url|host", "connect_timeout", "mode", "url: port", "expect_backend"]
    for result, field in zip(run.results, expectations, strict=True):
        assert result["failed"] and result["reason"] == "input", result
        assert field in result["msg"]
    assert "pw-in-bad-url" not in run.output
