from __future__ import annotations

import pytest

from ansible_collections.revisbali.business_suite.plugins.module_utils import deps
from ansible_collections.revisbali.business_suite.plugins.module_utils.errors import InputError
from ansible_collections.revisbali.business_suite.plugins.module_utils.redis_connection import (
    REDIS_CONNECTION_SPEC,
    classify_error,
    client_kwargs,
    describe,
    parse_redis_url,
    redis_failure,
    resolve_settings,
    type_names,
)


def params(**overrides):
    values = {name: spec.get("default") for name, spec in REDIS_CONNECTION_SPEC.items()}
    values.update(overrides)
    return values


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("redis://localhost:6379/1", dict(host="localhost", port=6379, db=1, username=None, password=None, tls=False)),
        ("redis://bs-redis", dict(host="bs-redis", port=6379, db=0, tls=False)),
        ("rediss://cache:s%40cret@redis.internal:6380/2", dict(host="redis.internal", port=6380, db=2,
                                                               username="cache", password="s@cret", tls=True)),
        ("redis://:only-password@h:1/0", dict(username=None, password="only-password")),
        ("redis://[::1]:6390/4", dict(host="::1", port=6390, db=4)),
        ("redis://h:6379?db=5", dict(db=5)),
        ("unix:///run/redis/redis.sock?db=3", dict(unix_socket_path="/run/redis/redis.sock", db=3, host=None)),
    ],
)  # fmt: skip
def test_parse_redis_url(url, expected):
    parsed = parse_redis_url(url)
    for key, value in expected.items():
        assert parsed[key] == value, key


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("redis://h:70000/1", "port '70000' is not a number in 1-65535"),
        ("redis://h:0/1", "port '0'"),
        ("redis://h:abc/1", "port 'abc'"),
        ("redis://h:6379/x", "database 'x'"),
        ("redis://h:6379/-1", "database '-1'"),
        ("http://h:6379/0", "scheme must be one of redis://, rediss://, unix://"),
        ("redis://:pw@:6379/0", "no host"),
        ("unix://", "needs a socket path"),
    ],
)
def test_bad_urls_name_the_field_and_never_the_password(url, problem):
    with pytest.raises(InputError) as raised:
        parse_redis_url(url, field="redis.url")
    assert raised.value.msg.startswith("redis.url: ")
    assert problem in raised.value.msg
    assert "pw" not in raised.value.msg


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (dict(port=70000), "port: 70000 is outside 1-65535"),
        (dict(port=0), "port: 0 is outside"),
        (dict(db=-1), "db: -1 is negative"),
        (dict(host=""), "host: must not be empty"),
        (dict(connect_timeout=0), "connect_timeout: must be greater than 0"),
        (dict(connect_timeout=-1.5), "connect_timeout: must be greater than 0"),
        (dict(ca_cert="/etc/hostname"), "ca_cert: is set but TLS is off"),
        (dict(tls=True, ca_cert="/nonexistent/ca.crt"), "ca_cert: no such file: /nonexistent/ca.crt"),
        (dict(tls=True, client_key="/etc/hostname"), "client_key: needs client_cert too"),
        (dict(url="rediss://h/0", tls=False), "tls: false contradicts the rediss:// URL"),
        (dict(url="redis://h/0", tls=True), "tls: true contradicts the redis:// URL"),
    ],
)
def test_resolve_settings_rejects_bad_values(overrides, message):
    with pytest.raises(InputError) as raised:
        resolve_settings(params(**overrides), prefix="redis." if "url" in overrides else "")
    assert message in raised.value.msg


def test_resolve_settings_from_options_and_from_url():
    settings = resolve_settings(params(host="10.0.0.1", port=6380, db=2, username="u", password="p", tls=True))
    assert settings["host"] == "10.0.0.1" and settings["tls"] is True and settings["password"] == "p"
    assert describe(settings) == "10.0.0.1:6380 db 2 (TLS)"

    settings = resolve_settings(params(url="unix:///tmp/r.sock?db=7", host=None, port=None, db=None))
    assert settings["unix_socket_path"] == "/tmp/r.sock" and describe(settings) == "socket /tmp/r.sock db 7"


def test_client_kwargs_tls_and_no_retries():
    settings = resolve_settings(params(tls=True, validate_certs=False, connect_timeout=2.5))
    kwargs = client_kwargs(settings)
    assert kwargs["ssl"] is True and kwargs["ssl_cert_reqs"] == "none" and kwargs["ssl_check_hostname"] is False
    assert kwargs["socket_connect_timeout"] == 2.5 and kwargs["socket_timeout"] == 2.5
    assert kwargs["retry"].get_retries() == 0
    assert kwargs["decode_responses"] is True

    plain = client_kwargs(resolve_settings(params()))
    assert "ssl" not in plain and plain["host"] == "localhost" and plain["port"] == 6379

    socket_path = client_kwargs(resolve_settings(params(url="unix:///tmp/r.sock", host=None, port=None, db=None)))
    assert socket_path["unix_socket_path"] == "/tmp/r.sock" and "host" not in socket_path


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (
            deps.redis.exceptions.NoPermissionError("NOPERM User noeval has no permissions to run the 'eval' command"),
            "acl",
        ),
        (deps.redis.exceptions.ResponseError("NOPERM this user has no permissions"), "acl"),
        (deps.redis.exceptions.AuthenticationError("invalid username-password pair"), "auth"),
        (deps.redis.exceptions.ResponseError("NOAUTH Authentication required."), "auth"),
        (deps.redis.exceptions.ResponseError("WRONGPASS invalid username-password pair"), "auth"),
        (
            deps.redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:1. Connection refused."),
            "unreachable",
        ),
        (deps.redis.exceptions.TimeoutError("Timeout reading from socket"), "unreachable"),
        (deps.redis.exceptions.BusyLoadingError("LOADING Redis is loading the dataset in memory"), "unreachable"),
        (ConnectionRefusedError(111, "Connection refused"), "unreachable"),
    ],
)
def test_classify_error(exc, reason):
    assert classify_error(type_names(exc), str(exc)) == reason


def test_unknown_errors_are_not_classified_here():
    assert classify_error(["ValueError", "Exception"], "invalid literal") is None


def test_redis_failure_message_says_what_to_check():
    settings = resolve_settings(params(port=6390))
    acl = redis_failure(deps.redis.exceptions.NoPermissionError("NOPERM no eval"), settings, "the key round trip")
    assert acl.reason == "acl" and "EVAL" in acl.msg and "localhost:6390 db 0" in acl.msg
    no_password = redis_failure(deps.redis.exceptions.AuthenticationError("NOAUTH"), settings, "connect")
    assert "none was given" in no_password.msg
    wrong = redis_failure(
        deps.redis.exceptions.AuthenticationError("WRONGPASS"), dict(settings, password="x"), "connect"
    )
    assert "check username/password" in wrong.msg
