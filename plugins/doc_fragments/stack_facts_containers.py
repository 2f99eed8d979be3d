# -*- coding: utf-8 -*-
# Copyright (c) 2026, RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The input of the filters that read containers from a stack_facts result."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  _input:
    description: The C(containers) of a P(revisbali.business_suite.stack_facts#module) result (name to C(exists),
      C(container)).
    type: dict
    required: true
"""
