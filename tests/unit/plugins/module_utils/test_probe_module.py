from __future__ import annotations

import time

import pytest

from ansible_collections.revisbali.business_suite.plugins.module_utils.probe_module import Stopwatch, elapsed_ms


def test_stopwatch_times_steps_even_when_they_raise():
    watch = Stopwatch()
    assert watch.time("ok", lambda: 42) == 42
    with pytest.raises(ZeroDivisionError):
        watch.time("boom", lambda: 1 / 0)
    laps = watch.total()
    assert set(laps) == {"ok", "boom", "total"}
    assert laps["total"] >= laps["ok"]


def test_elapsed_ms_is_rounded_milliseconds():
    assert elapsed_ms(time.monotonic()) < 1000
    assert elapsed_ms(time.monotonic() - 1.5) >= 1500
