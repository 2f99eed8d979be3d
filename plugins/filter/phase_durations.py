# -*- coding: utf-8 -*-
# Copyright (c) RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: phase_durations
short_description: How long each phase of a run took, from the time marks the run left
version_added: 0.1.0
description:
  - Gives, for each span of O(spans) whose two marks are both in the input, the seconds from its first mark to its
    second, rounded to 0.01. A span with a mark the run never reached (a phase that did not run) is left out.
  - Used by the redis_cutover role's report, whose flows leave marks such as C(start), C(prepared) and C(end).
options:
  _input:
    description: Mark name to a UNIX timestamp in seconds (a number, or a string of one).
    type: dict
    required: true
  spans:
    description: C([name, from_mark, to_mark]) items, in the order the result should have.
    type: list
    elements: list
    required: true
"""

EXAMPLES = r"""
- name: Time the run
  ansible.builtin.debug:
    msg: "{{ marks | revisbali.business_suite.phase_durations(spans) }}"  # {'prepare': 7.5, 'total': 30.25}
  vars:
    marks: {start: 0, prepared: 7.5, end: 30.25}
    spans: [[prepare, start, prepared], [snapshot, prepared, snapshot_done], [total, start, end]]
"""

RETURN = r"""
_value:
  description: Span name to seconds, in the order of O(spans).
  type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.collections import is_sequence


def phase_durations(marks, spans):
    if not isinstance(marks, dict):
        raise AnsibleFilterError("phase_durations: the marks must be a mapping, got %s" % type(marks).__name__)
    durations = {}
    for span in spans or []:
        if not is_sequence(span) or len(span) != 3:
            raise AnsibleFilterError("phase_durations: a span is [name, from_mark, to_mark], got %r" % (span,))
        name, first, last = span
        if first in marks and last in marks:
            try:
                durations[name] = round(float(marks[last]) - float(marks[first]), 2)
            except (TypeError, ValueError):
                raise AnsibleFilterError("phase_durations: marks %s and %s must be numbers" % (first, last)) from None
    return durations


class FilterModule(object):
    def filters(self):
        return {"phase_durations": phase_durations}
