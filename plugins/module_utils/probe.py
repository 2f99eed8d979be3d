# -*- coding: utf-8 -*-
# Copyright (c) 2026, RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What both verification modules share: the failure type with its ``reason``, the module
class that tags argument errors, timing, value comparison and bounded polling."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible.module_utils.basic import AnsibleModule

# Every failure carries one of these in ``reason`` so a playbook can branch on it. ``file`` and ``format`` are
# the dotenv module's: a file it cannot read, write or give its mode/owner to, and a .env it cannot parse.
REASONS = (
    "unreachable",
    "auth",
    "acl",
    "backend",
    "mismatch",
    "assertion",
    "container",
    "input",
    "dependency",
    "file",
    "format",
)


class ProbeError(Exception):
    """A check that could not pass. ``facts`` are what was observed before it stopped."""

    def __init__(self, reason, msg, **facts):
        super(ProbeError, self).__init__(msg)
        if reason not in REASONS:
            raise ValueError("unknown reason %r" % (reason,))
        self.reason = reason
        self.msg = msg
        self.facts = facts


class InputError(ProbeError):
    """A parameter is unusable; raised before any connection is made."""

    def __init__(self, field, problem):
        super(InputError, self).__init__("input", "%s: %s" % (field, problem))
        self.field = field


def require_positive(params, names, prefix=""):
    """InputError for the first of ``names`` (durations in seconds) that is not above 0."""
    for name in names:
        if not params[name] > 0:
            raise InputError(prefix + name, "must be greater than 0 seconds, got %s" % params[name])


def require_port(params, name, prefix=""):
    if not 1 <= params[name] <= 65535:
        raise InputError(prefix + name, "%d is outside 1-65535" % params[name])


def require_text(params, names, prefix=""):
    """InputError for the first of ``names`` that is empty."""
    for name in names:
        if not params[name]:
            raise InputError(prefix + name, "must not be empty")


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
        """Run ``probe(module)`` and exit with its result; a ProbeError becomes a tagged failure."""
        try:
            result = probe(self)
        except ProbeError as e:
            self.fail_json(msg=e.msg, reason=e.reason, changed=False, **e.facts)
        self.exit_json(changed=False, **result)


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


def mismatches(expected, observed):
    """Names each step whose observed value differs from the expected one, in step order."""
    problems = []
    for step, want in expected.items():
        got = observed.get(step, "<not reached>")
        if got != want or type(got) is not type(want):
            problems.append("%s returned %r, expected %r" % (step, got, want))
    return problems


def poll(check, timeout, interval):
    """Call ``check()`` until it returns a true value or ``timeout`` seconds pass.

    Always checks at least once. Returns ``(last value, seconds waited)``.
    """
    started = time.monotonic()
    deadline = started + timeout
    while True:
        value = check()
        now = time.monotonic()
        if value or now >= deadline:
            return value, round(now - started, 3)
        time.sleep(min(interval, max(deadline - now, 0)))
