from __future__ import annotations

import time

import pytest

from ansible_collections.revisbali.business_suite.plugins.module_utils.probe import (
    InputError,
    ProbeError,
    Stopwatch,
    mismatches,
    poll,
)


def test_mismatches_compare_value_and_type_in_step_order():
    expected = {"set": True, "incr": 2, "get": "2"}
    assert mismatches(expected, {"set": True, "incr": 2, "get": "2"}) == []
    # 1 == True in Python, but a cache that returns 1 for set is not what we asked for.
    assert mismatches(expected, {"set": 1, "incr": 2, "get": "2"}) == ["set returned 1, expected True"]
    assert mismatches(expected, {"set": None}) == [
        "set returned None, expected True",
        "incr returned '<not reached>', expected 2",
        "get returned '<not reached>', expected '2'",
    ]


def test_poll_checks_at_least_once_and_stops_at_the_deadline():
    calls = []
    value, waited = poll(lambda: calls.append(1), 0, 0.01)
    assert value is None and len(calls) == 1 and waited >= 0

    started = time.monotonic()
    value, waited = poll(lambda: False, 0.2, 0.05)
    # Upper bounds are loose: this is about stopping at all, not about speed on a loaded machine.
    assert value is False and 0.2 <= waited < 5 and time.monotonic() - started < 5

    answers = iter([0, 0, "ready"])
    assert poll(lambda: next(answers), 5, 0.01)[0] == "ready"


def test_stopwatch_times_steps_even_when_they_raise():
    watch = Stopwatch()
    assert watch.time("ok", lambda: 42) == 42
    with pytest.raises(ZeroDivisionError):
        watch.time("boom", lambda: 1 / 0)
    laps = watch.total()
    assert set(laps) == {"ok", "boom", "total"}
    assert laps["total"] >= laps["ok"]


def test_errors_carry_a_known_reason():
    assert InputError("port", "bad").msg == "port: bad"
    assert InputError("port", "bad").reason == "input"
    assert ProbeError("acl", "denied", key="k").facts == {"key": "k"}
    with pytest.raises(ValueError, match="unknown reason 'flaky'"):
        raise ProbeError("flaky", "not a reason the role knows")
