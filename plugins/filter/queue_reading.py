# -*- coding: utf-8 -*-
# Copyright (c) RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: queue_reading
short_description: What a pgqueuer_probe call read of the queue, as the redis_cutover report shows it
version_added: 0.1.0
description:
  - Turns the registered result of a C(pgqueuer_probe) call without a wait into the report's reading of the queue,
    C({depth, in_flight, stale, error}), where RV(_value.in_flight) and RV(_value.stale) are counts.
  - A call that failed (registered with C(failed_when=false)) gives no figure and says why in RV(_value.error); a
    skipped call says that the queue was not read.
options:
  _input:
    description: The registered result of a C(pgqueuer_probe) call.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Queue | Read the queue depth
  revisbali.business_suite.pgqueuer_probe: {}
  register: queue_read
  failed_when: false  # the report says why a reading has no figure

- name: Keep the reading for the report
  ansible.builtin.set_fact:
    queue_depth: {before: "{{ queue_read | revisbali.business_suite.queue_reading }}"}
"""

RETURN = r"""
_value:
  description: The reading.
  type: dict
  contains:
    depth:
      description: Jobs by status and entrypoint, as the probe returned them (empty when the queue was not read).
      type: list
      elements: dict
    in_flight:
      description: How many jobs a worker had picked.
      type: int
    stale:
      description: How many picked jobs had no heartbeat for longer than the probe's stale limit.
      type: int
    error:
      description: Why there is no figure (the probe's message, or that it did not run); empty when it read the queue.
      type: str
"""

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.collections import is_sequence


def queue_reading(result):
    if not isinstance(result, dict):
        raise AnsibleFilterError(
            "queue_reading: expected a registered pgqueuer_probe result, got %s" % type(result).__name__
        )
    if result.get("skipped"):
        return {"depth": [], "in_flight": 0, "stale": 0, "error": "not read: the database has no address to reach"}
    if "depth" not in result:
        error = str(result.get("msg") or "the probe returned no reading").strip()
        return {"depth": [], "in_flight": 0, "stale": 0, "error": error}
    listed = {key: result.get(key) or [] for key in ("depth", "in_flight", "stale")}
    if not all(is_sequence(value) for value in listed.values()):
        raise AnsibleFilterError("queue_reading: depth, in_flight and stale must be lists in a pgqueuer_probe result")
    return {
        "depth": list(listed["depth"]),
        "in_flight": len(listed["in_flight"]),
        "stale": len(listed["stale"]),
        "error": "",
    }


class FilterModule(object):
    def filters(self):
        return {"queue_reading": queue_reading}
