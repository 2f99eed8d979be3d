# -*- coding: utf-8 -*-
# Copyright (c) 2026, RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks on module parameters that an argument spec cannot express; each raises InputError naming
the field (``prefix`` says where nested options sit, e.g. ``redis.``)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.revisbali.business_suite.plugins.module_utils.errors import InputError


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
