# -*- coding: utf-8 -*-
# Copyright (c) 2026, RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failure types every module raises, each tagged with a ``reason`` a playbook can branch on."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

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
