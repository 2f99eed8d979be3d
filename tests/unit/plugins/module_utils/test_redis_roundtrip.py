from __future__ import annotations

import pytest

from ansible_collections.revisbali.business_suite.plugins.module_utils import deps, redis_roundtrip
from ansible_collections.revisbali.business_suite.plugins.module_utils.probe import InputError, ProbeError
from ansible_collections.revisbali.business_suite.plugins.module_utils.redis_connection import REDIS_CONNECTION_SPEC


@pytest.mark.parametrize(
    ("value", "size"),
    [(0, 0), (1024, 1024), ("1024", 1024), ("64mb", 64 * 1024**2), ("64MB", 64 * 1024**2), ("1k", 1000),
     ("512kb", 512 * 1024), ("2m", 2_000_000), ("1g", 10**9), ("1gb", 1024**3), (" 10 b ", 10)],
)  # fmt: skip
def test_parse_size_follows_redis_units(value, size):
    assert redis_roundtrip.parse_size(value) == size


@pytest.mark.parametrize("value", ["-1", "64 megs", "1.5gb", "", True, "mb"])
def test_parse_size_rejects(value):
    with pytest.raises(InputError, match="min_free_memory: "):
        redis_roundtrip.parse_size(value)


def test_parse_version():
    assert redis_roundtrip.parse_version("7.0") == (7, 0)
    assert redis_roundtrip.parse_version(7.2) == (7, 2)
    with pytest.raises(InputError, match="min_version: 'seven'"):
        redis_roundtrip.parse_version("seven")


def test_server_facts_and_assertions():
    info = dict(redis_version=7.0, role="master", maxmemory=200 * 1024**2, maxmemory_policy="allkeys-lru",
                used_memory=150 * 1024**2, connected_clients=3)  # fmt: skip
    server = redis_roundtrip.server_facts(info)
    assert server["redis_version"] == "7.0" and server["free_memory"] == 50 * 1024**2
    assert "connected_clients" not in server

    wanted = dict(policy="allkeys-lru", min_free=redis_roundtrip.parse_size("50mb"), min_version=(7, 0))
    assert redis_roundtrip.check_assertions(server, wanted) == ([], [])

    wanted = dict(policy="noeviction", min_free=redis_roundtrip.parse_size("51mb"), min_version=(7, 2))
    failed = redis_roundtrip.check_assertions(server, wanted)[0]
    assert len(failed) == 3
    assert "maxmemory_policy is 'allkeys-lru', expected 'noeviction'" in failed[0]
    assert "redis_version 7.0 is older than 7.2" in failed[1]
    assert "below min_free_memory 53477376" in failed[2]


def test_unlimited_maxmemory_cannot_fail_min_free_memory():
    server = redis_roundtrip.server_facts(dict(redis_version="7.0.15", maxmemory=0, used_memory=10**9))
    assert server["free_memory"] is None
    failed, warnings = redis_roundtrip.check_assertions(server, dict(policy=None, min_free=1, min_version=None))
    assert failed == [] and "maxmemory is 0" in warnings[0]


class FakeModule:
    def __init__(self, check_mode=False, **overrides):
        self.params = {name: spec.get("default") for name, spec in REDIS_CONNECTION_SPEC.items()}
        self.params.update(key_prefix="redis_smoke", ttl=60, expect_maxmemory_policy=None, min_free_memory=None,
                           min_version=None)  # fmt: skip
        self.params.update(overrides)
        self.check_mode = check_mode
        self.warnings, self.hidden = [], set()

    def warn(self, text):
        self.warnings.append(text)

    def hide(self, *secrets):
        self.hidden.update(s for s in secrets if s)


class FakeRedis:
    """A client whose replies the test chooses; records the commands it got."""

    def __init__(self, replies=None, errors=None, info=None):
        self.replies = dict(ping=True, set=True, incr=2, get="2", eval=1, delete=1)
        self.replies.update(replies or {})
        self.errors = errors or {}
        self.info_reply = info or dict(redis_version="7.0.15", role="master", maxmemory=0,
                                       maxmemory_policy="noeviction", used_memory=1)  # fmt: skip
        self.calls = []

    def _reply(self, name, *args):
        self.calls.append((name, *args))
        if name in self.errors:
            raise self.errors[name]
        return self.replies.get(name)

    def ping(self):
        return self._reply("ping")

    def info(self):
        self._reply("info")
        return self.info_reply

    def set(self, key, value, ex):
        return self._reply("set", key, value, ex)

    def incr(self, key):
        return self._reply("incr", key)

    def get(self, key):
        return self._reply("get", key)

    def eval(self, script, numkeys, key):
        return self._reply("eval", script, numkeys, key)

    def delete(self, key):
        return self._reply("delete", key)

    def close(self):
        self.calls.append(("close",))


@pytest.fixture
def fake_redis(monkeypatch):
    holder = {}

    def use(**kwargs):
        client = FakeRedis(**kwargs)
        monkeypatch.setattr(redis_roundtrip.redis_connection, "connect", lambda settings: client)
        holder["client"] = client
        return client

    return use


def test_round_trip_sequence(fake_redis):
    client = fake_redis()
    result = redis_roundtrip.run(FakeModule(ttl=30))
    names = [call[0] for call in client.calls]
    assert names == ["ping", "info", "set", "incr", "get", "eval", "delete", "close"]
    key = result["key"]
    assert client.calls[2] == ("set", key, 1, 30)
    assert "EXISTS" in client.calls[5][1]
    assert result["values"] == {"set": True, "incr": 2, "get": "2", "eval": 1, "delete": 1}


def test_swallowed_errors_are_mismatches(fake_redis):
    # What a proxy or a client that ignores exceptions looks like: no error, wrong values.
    fake_redis(replies=dict(set=None, incr=None, get=None))
    with pytest.raises(ProbeError) as raised:
        redis_roundtrip.run(FakeModule())
    assert raised.value.reason == "mismatch"
    assert "set returned None, expected True" in raised.value.msg
    assert "get returned None, expected '2'" in raised.value.msg


def test_eval_denied_is_acl_and_the_key_is_removed(fake_redis):
    client = fake_redis(errors=dict(eval=deps.redis.exceptions.NoPermissionError("NOPERM no eval for you")))
    with pytest.raises(ProbeError) as raised:
        redis_roundtrip.run(FakeModule())
    assert raised.value.reason == "acl" and "EVAL" in raised.value.msg
    assert raised.value.facts["values"] == {"set": True, "incr": 2, "get": "2"}
    assert client.calls[-2][0] == "delete", "the probe key must be cleaned up after a failure"


def test_info_denied_is_a_warning_unless_an_assertion_needs_it(fake_redis):
    denied = deps.redis.exceptions.NoPermissionError("NOPERM info")
    fake_redis(errors=dict(info=denied))
    module = FakeModule()
    result = redis_roundtrip.run(module)
    assert result["server"] == {} and "INFO is not permitted" in module.warnings[0]

    fake_redis(errors=dict(info=denied))
    with pytest.raises(ProbeError) as raised:
        redis_roundtrip.run(FakeModule(min_version="7.0"))
    assert raised.value.reason == "acl"


def test_check_mode_writes_nothing(fake_redis):
    client = fake_redis()
    result = redis_roundtrip.run(FakeModule(check_mode=True))
    assert [call[0] for call in client.calls] == ["ping", "info", "close"]
    assert result["values"] == {} and result["msg"].startswith("check mode")


def test_url_password_is_hidden(fake_redis):
    fake_redis()
    module = FakeModule(url="redis://app:pa55word@cache:6379/1", host=None, port=None, db=None)
    redis_roundtrip.run(module)
    assert module.hidden == {"pa55word"}


def test_unreachable_keeps_latency(fake_redis):
    fake_redis(errors=dict(ping=deps.redis.exceptions.ConnectionError("Error 111 connecting")))
    with pytest.raises(ProbeError) as raised:
        redis_roundtrip.run(FakeModule())
    assert raised.value.reason == "unreachable" and "connect failed" in raised.value.msg
    assert "connect" in raised.value.facts["latency_ms"]
