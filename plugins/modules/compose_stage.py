#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: compose_stage
short_description: Stage a compose file and validate it with C(docker compose config), never quoting a secret
version_added: 0.1.0
description:
  - Validates O(content) (or the file O(src)) with C(docker compose config --quiet), the way C(docker compose) will
    read it beside O(env_file), in O(project_dir) as project O(project_name). Then writes it to O(dest), 0600
    through a 0600 temporary file beside it.
  - A file compose rejects fails the module with compose's message, and nothing is written. In that message
    every value of O(env_file) and of O(mask_from) is named by its key (C(<value of KEY>), or
    C(<part of the value of KEY>) where compose quoted only a part). When the env file itself is what compose
    could not read, every quoted fragment is hidden.
  - One call instead of a copy, a command and a check, so that staging a release's compose file costs one round
    trip to the host.
extends_documentation_fragment:
  - revisbali.business_suite.attributes
attributes:
  check_mode:
    support: full
    details: Validates the same way and writes nothing.
  diff_mode:
    support: none
    details: O(dest) is a staging copy; the caller shows the diff when the live file changes.
  idempotent:
    support: full
    details: O(dest) is written only when it does not already hold the content, 0600.
options:
  dest:
    description: Where to write the staged compose file. Its directory must exist.
    type: path
    required: true
  content:
    description: The compose file's text. Exactly one of O(content) and O(src).
    type: str
  src:
    description: A compose file on the host to stage (a snapshot's copy). Exactly one of O(content) and O(src).
    type: path
  env_file:
    description: The env file compose reads with it (C(--env-file)). Its values never show in a failure.
    type: path
    required: true
  mask_from:
    description: Further env files whose values never show in a failure (the live C(.env) a service's C(env_file)
      names). A file that is missing or not a parseable C(.env) is skipped.
    type: list
    elements: path
    default: []
  project_dir:
    description: The project directory relative paths in the file are resolved against (C(--project-directory)).
    type: path
    required: true
  project_name:
    description: The compose project name (C(--project-name)).
    type: str
    required: true
requirements:
  - The C(docker) CLI with the compose v2 plugin on the host.
"""

EXAMPLES = r"""
- name: Stage the edited compose file and validate it with the staged .env
  revisbali.business_suite.compose_stage:
    content: "{{ compose_text }}"
    dest: /srv/business_suite/.cutover/staging-x/docker-compose.yml
    env_file: /srv/business_suite/.cutover/staging-x/.env
    mask_from: [/srv/business_suite/.env]
    project_dir: /srv/business_suite
    project_name: business_suite
"""

RETURN = r"""
dest:
  description: The path written (or that would be written in check mode).
  returned: success
  type: str
  sample: /srv/business_suite/.cutover/staging-x/docker-compose.yml
reason:
  description:
    - Why the module failed. V(input) (a parameter is invalid), V(file) (O(src) cannot be read or O(dest) cannot be
      written) or V(format) (compose rejects the file, or there is no C(docker) CLI to ask).
  returned: failure
  type: str
  sample: format
"""

import os
import re

from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.revisbali.business_suite.plugins.module_utils import dotenv, private_file
from ansible_collections.revisbali.business_suite.plugins.module_utils.docker_cli import Docker
from ansible_collections.revisbali.business_suite.plugins.module_utils.errors import ProbeError
from ansible_collections.revisbali.business_suite.plugins.module_utils.probe_module import ProbeModule

ARGUMENT_SPEC = dict(
    dest=dict(type="path", required=True),
    content=dict(type="str"),
    src=dict(type="path"),
    env_file=dict(type="path", required=True),
    mask_from=dict(type="list", elements="path", default=[]),
    project_dir=dict(type="path", required=True),
    project_name=dict(type="str", required=True),
)

# A quoted fragment, or one whose quote compose never closed (the rest of its line).
QUOTED = re.compile(r'"(?:[^"\\\n]|\\.)*(?:"|$)', re.MULTILINE)
# Compose may quote only the part of a value it could parse (mem_limit: "s3cr" of "s3cr3t...").
FRAGMENT = re.compile(r'"([^"]{4,})"')


def env_values(path):
    """The file's values by key, or None when it is missing or not a parseable .env."""
    try:
        return dotenv.load_values(path)
    except dotenv.DotenvError:
        return None


def masked(error, env_file, secrets):
    """Compose's message with nothing of an env file in it. ``secrets`` are (key, value) pairs, or None when the
    staged env file itself cannot be read: compose then quotes its lines, so every quoted fragment goes."""
    if secrets is None or env_file in error:
        return QUOTED.sub('"<hidden>"', error.replace(env_file, os.path.basename(env_file)))
    longest_first = sorted(((k, v) for k, v in secrets if len(v) >= 4), key=lambda kv: -len(kv[1]))
    for key, value in longest_first:
        error = error.replace(value, "<value of %s>" % key)
    for fragment in FRAGMENT.findall(error):
        owner = next((key for key, value in longest_first if fragment in value), None)
        if owner:
            error = error.replace('"%s"' % fragment, '"<part of the value of %s>"' % owner)
    return error


def read_source(params):
    if params["content"] is not None:
        return to_bytes(params["content"], errors="surrogate_or_strict")
    return private_file.read_bytes(params["src"])


def validate(module, params, text):
    docker = Docker(module)
    if not docker.cli:
        raise ProbeError("format", "cannot validate %s: no docker CLI in PATH" % params["dest"])
    args = ["compose", "--project-directory", params["project_dir"], "--project-name", params["project_name"],
            "--env-file", params["env_file"], "--file", "-", "config", "--quiet"]  # fmt: skip
    rc, _out, err = docker.run(*args, data=text)
    if rc == 0:
        return
    staged = env_values(params["env_file"])
    secrets = None
    if staged is not None:
        secrets = list(staged.items())
        for path in params["mask_from"]:
            secrets.extend((env_values(path) or {}).items())
    message = masked(err, params["env_file"], secrets)
    raise ProbeError("format", "the staged compose file fails `docker compose config`: %s" % message)


def stage(module):
    params = module.params
    if not os.path.isdir(os.path.dirname(params["dest"]) or "."):
        raise ProbeError("input", "the directory of dest %s does not exist" % params["dest"])
    text = read_source(params)
    validate(module, params, text)
    if private_file.holds_private(params["dest"], text):
        return {"dest": params["dest"]}
    if not module.check_mode:
        private_file.write_private(params["dest"], text, ".compose-stage-")
    return {"changed": True, "dest": params["dest"]}


def main():
    module = ProbeModule(
        argument_spec=ARGUMENT_SPEC,
        mutually_exclusive=[("content", "src")],
        required_one_of=[("content", "src")],
        supports_check_mode=True,
    )
    module.run(stage)


if __name__ == "__main__":
    main()
