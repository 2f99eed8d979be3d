"""phase_durations: the report's phase times, each from its two marks, leaving out a phase whose mark was never
reached."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.revisbali.business_suite.plugins.filter.phase_durations import phase_durations

SPANS = [["prepare", "start", "prepared"], ["snapshot", "prepared", "snapshot_done"], ["total", "start", "end"]]


def test_each_span_is_the_time_between_its_marks_rounded_and_in_order():
    marks = {"start": "1000.0", "prepared": 1007.504, "snapshot_done": 1008.25, "end": 1030.0}
    assert list(phase_durations(marks, SPANS).items()) == [("prepare", 7.5), ("snapshot", 0.75), ("total", 30.0)]


def test_a_phase_that_did_not_run_is_left_out():
    assert phase_durations({"start": 1.0, "prepared": 2.0, "end": 3.5}, SPANS) == {"prepare": 1.0, "total": 2.5}


@pytest.mark.parametrize(
    "marks, spans", [([], SPANS), ({"start": 1}, [["only-two", "start"]]), ({"a": "x", "b": 1}, [["n", "a", "b"]])]
)
def test_unusable_input_is_refused_with_a_message(marks, spans):
    with pytest.raises(AnsibleFilterError, match="phase_durations"):
        phase_durations(marks, spans)
