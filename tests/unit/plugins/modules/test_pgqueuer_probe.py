"""pgqueuer_probe run in-process: bad input fails with reason=input, naming the field,
before anything is contacted."""

from __future__ import annotations

import pytest

from ansible_collections.revisbali.business_suite.plugins.module_utils import deps
from ansible_collections.revisbali.business_suite.plugins.modules import pgqueuer_probe


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (dict(broker="kafka"), "value of broker must be one of: postgres, redis"),
        (dict(broker="redis"), "broker is redis but all of the following are missing: channel, redis"),
        (dict(broker="redis", channel="0", redis=dict(url="redis://h:70000/1")), "redis.url: port '70000'"),
        (dict(broker="redis", channel="0", redis=dict(port=0)), "redis.port: 0 is outside 1-65535"),
        (dict(broker="redis", channel="0", redis=dict(db="one")), "'db' is of type"),
        (dict(broker="redis", channel="0", redis=dict(url="redis://h/0", host="h")), "mutually exclusive: url|host"),
        (dict(broker="redis", channel="", redis=dict(host="h")), "channel: is required with broker=redis"),
        (dict(timeout=-1), "timeout: must be >= 0"),
        (dict(poll_interval=0), "poll_interval: must be greater than 0"),
        (dict(stale_after=-1), "stale_after: must be >= 0"),
        (dict(min_listeners=0), "min_listeners: must be at least 1"),
        (dict(wait_for="forever"), "value of wait_for must be one of: none, drained, listening, consuming"),
        (dict(db_port=0), "db_port: 0 is outside 1-65535"),
        (dict(connect_timeout=0), "connect_timeout: must be greater than 0"),
        (dict(dsn="host=db password=hunter2 port"), "dsn: is not a valid libpq connection string"),
        (dict(dsn="host=db", db_host="db"), "mutually exclusive: dsn|db_host"),
        (dict(channel="ch pgqueuer"), "channel: 'ch pgqueuer' is not a PgQueuer channel name"),
    ],
)
def test_bad_input_fails_before_any_connection(rejected, args, field):
    rejected(pgqueuer_probe.main, args, field)


@pytest.mark.parametrize(
    ("args", "package"),
    [(dict(), "psycopg"), (dict(broker="redis", channel="0", redis=dict(host="h")), "redis")],
)
def test_missing_library_is_named(run_module, monkeypatch, args, package):
    monkeypatch.setitem(deps._IMPORT_ERRORS, package, lambda: "Traceback: No module named %s" % package)
    result = run_module(pgqueuer_probe.main, args)
    assert result["failed"] and result["reason"] == "dependency"
    assert "(%s)" % package in result["msg"]


def test_passwords_from_the_dsn_are_masked(run_module, monkeypatch):
    def refused(**conninfo):
        raise deps.psycopg.OperationalError('connection failed: FATAL:  password authentication failed for user "app"')

    monkeypatch.setattr(deps.psycopg, "connect", refused)
    result = run_module(pgqueuer_probe.main, dict(dsn="postgresql://app:Sup3r-Secret@127.0.0.1:5432/app"))
    assert result["failed"] and result["reason"] == "auth"
    assert "127.0.0.1:5432 db app" in result["msg"]
    assert "Sup3r-Secret" not in str(result)
