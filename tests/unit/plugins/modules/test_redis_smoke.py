"""redis_smoke run in-process: every bad input fails with reason=input, naming the field,
before anything is contacted."""

from __future__ import annotations

import socket

import pytest

from ansible_collections.revisbali.business_suite.plugins.module_utils import deps
from ansible_collections.revisbali.business_suite.plugins.modules import redis_smoke


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (dict(url="redis://h:70000/1"), "url: port '70000' is not a number in 1-65535"),
        (dict(url="redis://:hunter2@h:1/x"), "url: database 'x'"),
        (dict(url="memcache://h:11211"), "url: scheme must be one of"),
        (dict(port=70000), "port: 70000 is outside 1-65535"),
        (dict(port="six"), "'port' is of type"),
        (dict(db="x"), "'db' is of type"),
        (dict(db=-1), "db: -1 is negative"),
        (dict(connect_timeout=-1), "connect_timeout: must be greater than 0"),
        (dict(url="redis://h:6379/0", host="h"), "mutually exclusive: url|host"),
        (dict(url="redis://h:6379/0", password="hunter2"), "mutually exclusive: url|password"),
        (dict(mode="cluster"), "value of mode must be one of: direct, django"),
        (dict(ttl=0), "ttl: must be greater than 0"),
        (dict(min_free_memory="lots"), "min_free_memory: 'lots' is not a size"),
        (dict(min_version="seven"), "min_version: 'seven'"),
        (dict(expect_backend="django_redis.cache.RedisCache"), "expect_backend: only applies to mode=django"),
        (dict(mode="django", min_version="7.0"), "min_version: only applies to mode=direct"),
        (dict(mode="django", exec_timeout=0), "exec_timeout: must be greater than 0"),
        (dict(mode="django", settings_module=""), "settings_module: must not be empty"),
        (dict(settings_module="business_suite.settings.prod"), "settings_module: only applies to mode=django"),
        (dict(ca_cert="/etc/hostname"), "ca_cert: is set but TLS is off"),
        (dict(surprise=1), "Unsupported parameters"),
    ],
)
def test_bad_input_fails_before_any_connection(rejected, args, field):
    rejected(redis_smoke.main, args, field)


@pytest.mark.parametrize(("mode", "package"), [("direct", "redis"), ("django", "docker")])
def test_missing_library_is_named(run_module, monkeypatch, mode, package):
    monkeypatch.setitem(deps._IMPORT_ERRORS, package, lambda: "Traceback: No module named %s" % package)
    result = run_module(redis_smoke.main, dict(mode=mode))
    assert result["failed"] and result["reason"] == "dependency"
    assert "Failed to import the required Python library (%s)" % package in result["msg"]


def test_password_from_url_is_masked_in_every_message(run_module, monkeypatch):
    def refused(self, address):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(socket.socket, "connect", refused)
    result = run_module(redis_smoke.main, dict(url="redis://app:Sup3r-Secret@127.0.0.1:6379/0"))
    assert result["failed"] and result["reason"] == "unreachable"
    assert "127.0.0.1:6379 db 0" in result["msg"]
    assert "Sup3r-Secret" not in str(result)
