# -*- coding: utf-8 -*-
# Copyright (c) RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: phase_steps
short_description: The task files of one phase of the redis_cutover role, with the user's hooks around it
version_added: 0.1.0
description:
  - Gives the files a flow includes for one phase, in order, the user's C(before_<phase>) hook files, the phase's
    own task file, then the C(after_<phase>) hook files. Each item is C({point, file}).
  - Checks every hook of O(hooks) on each call, so the first phase of a flow refuses a bad one before the flow
    changes anything. A hook is refused when its point is unknown, when it is not a list of paths, or when a path
    is not absolute or names no file on the controller.
  - With O(needed=false) the phase's own file is left out and its hooks stay, so a phase with nothing to do costs
    no task and the hooks still run at their points.
options:
  _input:
    description:
      - The phase, one of C(preflight), C(render), C(images), C(snapshot), C(restore), C(converge), C(prune),
        C(report).
    type: str
    required: true
  hooks:
    description: The role's C(redis_cutover_hooks), hook point to a list of task files.
    type: dict
    required: true
  needed:
    description: Whether the phase has anything to do; V(false) leaves its own file out (the hooks stay).
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Rollout | Preflight
  ansible.builtin.include_tasks: "{{ __redis_cutover_step.file }}"
  loop: "{{ 'preflight' | revisbali.business_suite.phase_steps(redis_cutover_hooks) }}"
  loop_control:
    loop_var: __redis_cutover_step
    label: "{{ __redis_cutover_step.point }}"

- name: Rollout | Images of the Redis release (only the hooks when every image is there)
  ansible.builtin.include_tasks: "{{ __redis_cutover_step.file }}"
  loop: "{{ 'images' | revisbali.business_suite.phase_steps(redis_cutover_hooks, __redis_cutover_images_wanted) }}"
  loop_control:
    loop_var: __redis_cutover_step
"""

RETURN = r"""
_value:
  description: C({point, file}) items; the phase's own item has the phase as point and its task file as file.
  type: list
  elements: dict
"""

import os

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.collections import is_sequence
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.module_utils.six import string_types

# Phase -> the role's task file for it. Hook points are before_<phase> and after_<phase>.
PHASES = {
    "preflight": "preflight.yml",
    "render": "render.yml",
    "images": "images.yml",
    "snapshot": "snapshot.yml",
    "restore": "restore.yml",
    "converge": "converge.yml",
    "prune": "snapshot_prune.yml",
    "report": "report.yml",
}
POINTS = tuple("%s_%s" % (when, phase) for phase in PHASES for when in ("before", "after"))


def checked(hooks):
    """The hooks as point -> list of paths, or AnsibleFilterError naming the first bad one."""
    if hooks is None:
        return {}
    if not isinstance(hooks, dict):
        raise AnsibleFilterError(
            "redis_cutover_hooks must be a mapping of hook point to task files, got %s" % type(hooks).__name__
        )
    unknown = sorted(set(hooks) - set(POINTS))
    if unknown:
        raise AnsibleFilterError(
            "redis_cutover_hooks: unknown hook point %s; the points are %s" % (", ".join(unknown), ", ".join(POINTS))
        )
    for point, files in hooks.items():
        files = files or []
        if isinstance(files, string_types) or not is_sequence(files):
            raise AnsibleFilterError("redis_cutover_hooks.%s must be a list of task files" % point)
        for path in files:
            if not isinstance(path, string_types) or not os.path.isabs(path):
                raise AnsibleFilterError(
                    "redis_cutover_hooks.%s: %r is not an absolute path (e.g. '{{ playbook_dir }}/hooks/x.yml')"
                    % (point, path)
                )
            if not os.path.isfile(path):
                raise AnsibleFilterError("redis_cutover_hooks.%s: %s is not a file on the controller" % (point, path))
    return hooks


def phase_steps(phase, hooks, needed=True):
    if phase not in PHASES:
        raise AnsibleFilterError("phase_steps: unknown phase %r; the phases are %s" % (phase, ", ".join(PHASES)))
    hooks = checked(hooks)

    def around(when):
        point = "%s_%s" % (when, phase)
        return [{"point": point, "file": path} for path in hooks.get(point) or []]

    try:
        needed = boolean(needed, strict=True)
    except TypeError:
        raise AnsibleFilterError("phase_steps: needed must be a boolean, got %r" % (needed,)) from None
    own = [{"point": phase, "file": PHASES[phase]}] if needed else []
    return [*around("before"), *own, *around("after")]


class FilterModule(object):
    def filters(self):
        return {"phase_steps": phase_steps}
