# -*- coding: utf-8 -*-
# Copyright (c) 2026, RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module class every module runs in (argument errors tagged ``reason=input``, ProbeError turned
into a tagged failure) and the timers of the two verification modules."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.revisbali.business_suite.plugins.module_utils.errors import REASONS, ProbeError


class ProbeModule(AnsibleModule):
    """AnsibleModule whose argument-spec rejections carry ``reason=input`` like every other failure.

    ``fallback_reason`` tags the failures AnsibleModule raises itself after validation (atomic_move, setting a
    file's owner or mode), which name no reason of their own."""

    def __init__(self, *args, **kwargs):
        fallback_reason = kwargs.pop("fallback_reason", None)
        if fallback_reason is not None and fallback_reason not in REASONS:
            raise ValueError("unknown reason %r" % (fallback_reason,))
        self._fallback_reason = None
        self._validating = True
        super(ProbeModule, self).__init__(*args, **kwargs)
        self._validating = False
        self._fallback_reason = fallback_reason

    def fail_json(self, msg, **kwargs):
        if getattr(self, "_validating", False):
            kwargs.setdefault("reason", "input")
        elif getattr(self, "_fallback_reason", None):
            kwargs.setdefault("reason", self._fallback_reason)
        super(ProbeModule, self).fail_json(msg=msg, **kwargs)

    def hide(self, *secrets):
        """Mask values (e.g. a password taken out of a URL) anywhere in the module's output."""
        self.no_log_values.update(s for s in secrets if s)

    def run(self, probe):
        """Run ``probe(module)`` and exit with its result (``changed`` false unless it says); a ProbeError becomes a
        tagged failure."""
        try:
            result = probe(self)
        except ProbeError as e:
            self.fail_json(msg=e.msg, reason=e.reason, changed=False, **e.facts)
        self.exit_json(**dict({"changed": False}, **result))


def elapsed_ms(started):
    """Milliseconds since ``started`` (a ``time.monotonic()`` value), rounded to 0.01."""
    return round((time.monotonic() - started) * 1000.0, 2)


class Stopwatch(object):
    """Times named steps into ``laps`` (milliseconds)."""

    def __init__(self):
        self.started = time.monotonic()
        self.laps = {}

    def time(self, name, func, *args, **kwargs):
        started = time.monotonic()
        try:
            return func(*args, **kwargs)
        finally:
            self.laps[name] = elapsed_ms(started)

    def total(self):
        self.laps["total"] = elapsed_ms(self.started)
        return self.laps
