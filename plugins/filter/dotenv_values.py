# -*- coding: utf-8 -*-
# Copyright (c) RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: dotenv_values
short_description: Parse the text of a docker compose C(.env) file into a dictionary
version_added: 0.1.0
description:
  - Uses the same parser as the M(revisbali.business_suite.dotenv) module, so both agree on quoting and
    multi-line values. A malformed line raises an error naming its line number, never its content.
  - The result holds secrets; register and use it with C(no_log).
options:
  _input:
    description: The file's text (e.g. C(slurp) content passed through C(b64decode)).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Read the .env file
  ansible.builtin.slurp:
    src: /srv/business_suite/.env
  register: env_raw
  no_log: true

- name: Database credentials for the probes
  ansible.builtin.set_fact:
    db_user: "{{ (env_raw.content | b64decode | revisbali.business_suite.dotenv_values).DB_USER }}"
  no_log: true
"""

RETURN = r"""
_value:
  description: Key to value (unquoted). A key assigned twice keeps its last value, as compose reads it.
  type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_native, to_text

from ansible_collections.revisbali.business_suite.plugins.module_utils import dotenv


def dotenv_values(text):
    try:
        return dotenv.values(dotenv.parse(to_text(text)))
    except dotenv.DotenvError as exc:
        raise AnsibleFilterError(".env: %s" % to_native(exc)) from None


class FilterModule(object):
    def filters(self):
        return {"dotenv_values": dotenv_values}
