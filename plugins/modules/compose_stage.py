#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: compose_stage
short_description: Stage a compose file and its .env, validated with C(docker compose config), never quoting a secret
version_added: 0.1.0
description:
  - Validates O(content) (or the file O(src)) with C(docker compose config --quiet), the way C(docker compose) will
    read it beside O(env_file), in O(project_dir) as project O(project_name). Then writes it to O(dest), 0600
    through a 0600 temporary file beside it.
  - A file compose rejects fails the module with compose's message, and nothing is written. In that message
    every value of O(env_file) and of O(mask_from) is named by its key (C(<value of KEY>), or
    C(<part of the value of KEY>) where compose quoted only a part). When the env file itself is what compose
    could not read, every quoted fragment is hidden.
  - With O(env), the staged O(env_file) is made in the same call, from the live C(.env) (O(env.path)) with the
    release's keys set and removed, or as a copy of a snapshot's (O(env.src)). Compose validates the compose file
    beside that content before either file is written.
  - One call instead of an edit, a copy, a command and a check, so that staging a release's files costs one round
    trip to the host.
extends_documentation_fragment:
  - revisbali.business_suite.attributes
attributes:
  check_mode:
    support: full
    details: Validates the same way and writes nothing (with O(env), compose reads the staged .env from a 0600
      temporary file beside O(env_file) that is removed before the module returns).
  diff_mode:
    support: none
    details: O(dest) is a staging copy; the caller shows the diff when the live file changes.
  idempotent:
    support: full
    details: O(dest) (and O(env_file) with O(env)) is written only when it does not already hold the content, 0600.
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
    description:
      - The env file compose reads with it (C(--env-file)). Its values never show in a failure.
      - Without O(env) it must exist; with O(env) it is written, 0600, once compose accepts the compose file.
    type: path
    required: true
  env:
    description:
      - Make O(env_file) in the same call. Omitted, O(env_file) is used as it is.
      - Its values never show in the module's output; a value of O(env.set) that looks secret (a secret-looking
        key, a URL with a password) is masked wherever it would appear.
    type: dict
    suboptions:
      path:
        description: The live C(.env) the staged one is made from (and compared with, RV(env_differs)).
        type: path
        required: true
      set:
        description: Keys to assign, as O(revisbali.business_suite.dotenv#module:set) does (in place, or appended).
        type: dict
        default: {}
      remove:
        description: Keys whose every assignment goes, as O(revisbali.business_suite.dotenv#module:remove) does.
        type: list
        elements: str
        default: []
      header:
        description: As O(revisbali.business_suite.dotenv#module:header), a comment line above keys appended at the end.
        type: str
      src:
        description:
          - A C(.env) on the host (a snapshot's) to stage byte for byte instead of editing O(env.path). It must
            parse. Mutually exclusive with O(env.set) and O(env.remove).
        type: path
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
- name: Stage the release's .env and edited compose file, validated together
  revisbali.business_suite.compose_stage:
    content: "{{ compose_text }}"
    dest: /srv/business_suite/.cutover/staging-x/docker-compose.yml
    env_file: /srv/business_suite/.cutover/staging-x/.env
    env:
      path: /srv/business_suite/.env
      set: {REDIS_HOST: bs-redis, REDIS_PORT: "6379"}
      remove: [MEMCACHED_LOCATION]
    mask_from: [/srv/business_suite/.env]
    project_dir: /srv/business_suite
    project_name: business_suite
  register: staged

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
content:
  description:
    - With O(src), the text of the compose file staged from it, so that the caller can put a snapshot's copy in place
      without reading it back. With O(content) the caller has the text already, and it does not come back.
    - Like the rest of the result it is masked, so a secret value of O(env.set) that the file holds would read
      C(********) in it; a snapshot's staging call (O(src) with O(env.src)) sets none.
  returned: with O(src)
  type: str
  sample: "services:\n  redis:\n    image: redis:7.4-alpine\n"
dest:
  description: The path written (or that would be written in check mode).
  returned: success
  type: str
  sample: /srv/business_suite/.cutover/staging-x/docker-compose.yml
env_differs:
  description: With O(env), whether the staged C(.env) differs from O(env.path), so that putting it in place would
    change the live file.
  returned: success, with O(env)
  type: bool
  sample: true
reason:
  description:
    - Why the module failed. V(input) (a parameter is invalid, such as a key that is not a valid .env name),
      V(file) (O(src), O(env.path) or O(env.src) cannot be read, or a staged file cannot be written) or V(format)
      (compose rejects the file, a C(.env) does not parse, or there is no C(docker) CLI to ask).
  returned: failure
  type: str
  sample: format
"""

import os
import re

from ansible.module_utils.common.text.converters import to_bytes, to_text

from ansible_collections.revisbali.business_suite.plugins.module_utils import dotenv, private_file
from ansible_collections.revisbali.business_suite.plugins.module_utils.docker_cli import Docker
from ansible_collections.revisbali.business_suite.plugins.module_utils.errors import ProbeError
from ansible_collections.revisbali.business_suite.plugins.module_utils.probe_module import ProbeModule

ARGUMENT_SPEC = dict(
    dest=dict(type="path", required=True),
    content=dict(type="str"),
    src=dict(type="path"),
    env_file=dict(type="path", required=True),
    env=dict(
        type="dict",
        options=dict(
            path=dict(type="path", required=True),
            set=dict(type="dict", default={}, no_log=False),
            remove=dict(type="list", elements="str", default=[], no_log=False),
            header=dict(type="str"),
            src=dict(type="path"),
        ),
        mutually_exclusive=[("src", "set"), ("src", "remove")],
    ),
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


def masked(error, env_file, secrets, shown_as):
    """Compose's message with nothing of an env file in it. ``secrets`` are (key, value) pairs, or None when the
    env file compose read (``env_file``, named ``shown_as``) cannot be parsed: compose then quotes its lines, so
    every quoted fragment goes."""
    if secrets is None or env_file in error:
        return QUOTED.sub('"<hidden>"', error.replace(env_file, os.path.basename(shown_as)))
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


def staged_env(module, spec):
    """The staged .env's text (bytes) and whether it differs from the live one; every input checked first."""
    try:
        wanted, secrets = dotenv.wanted_values(spec["set"], spec["remove"])
    except dotenv.DotenvError as exc:
        raise ProbeError("input", "env: %s" % exc) from None
    module.hide(*secrets)
    try:
        live = dotenv.read_text(spec["path"])
        if spec["src"]:  # a snapshot's copy replaces the live file whole: only the copy must parse
            text = dotenv.read_text(spec["src"])
            dotenv.parse_file(spec["src"], text)
        else:
            entries = dotenv.parse_file(spec["path"], live)
            text = dotenv.render(dotenv.apply(entries, wanted, spec["remove"], spec["header"])[0])
    except dotenv.DotenvFileError as exc:
        raise ProbeError(exc.reason, str(exc)) from None
    except dotenv.DotenvError as exc:  # a value to set that .env cannot hold
        raise ProbeError("input", "env: %s" % exc) from None
    return to_bytes(text, errors="surrogate_or_strict"), text != live


def validate(module, params, text, env_file):
    """Ask compose about ``text`` beside ``env_file`` (the staged .env, or its temporary copy)."""
    docker = Docker(module)
    if not docker.cli:
        raise ProbeError("format", "cannot validate %s: no docker CLI in PATH" % params["dest"])
    args = ["compose", "--project-directory", params["project_dir"], "--project-name", params["project_name"],
            "--env-file", env_file, "--file", "-", "config", "--quiet"]  # fmt: skip
    rc, _out, err = docker.run(*args, data=text)
    if rc == 0:
        return
    staged = env_values(env_file)
    secrets = None
    if staged is not None:
        secrets = list(staged.items())
        for path in params["mask_from"]:
            secrets.extend((env_values(path) or {}).items())
    message = masked(err, env_file, secrets, params["env_file"])
    raise ProbeError("format", "the staged compose file fails `docker compose config`: %s" % message)


def validate_with_env(module, params, text, env_text):
    """Validate beside ``env_text`` before anything is written: compose reads it from a 0600 temporary file."""
    try:
        tmp = private_file.stage_private(params["env_file"], env_text, ".env-stage-")
    except OSError as exc:
        raise ProbeError("file", "cannot write %s: %s" % (params["env_file"], exc.strerror or exc)) from None
    try:
        validate(module, params, text, tmp)
    finally:
        os.remove(tmp)


def put(module, path, data, prefix):
    """Write ``data`` to ``path`` (0600) unless it already holds it; whether it was (or would be) written."""
    if private_file.holds_private(path, data):
        return False
    if not module.check_mode:
        private_file.write_private(path, data, prefix)
    return True


def stage(module):
    params = module.params
    for path in [params["dest"]] + ([params["env_file"]] if params["env"] else []):
        if not os.path.isdir(os.path.dirname(path) or "."):
            raise ProbeError("input", "the directory of %s does not exist" % path)
    env_text, env_differs = staged_env(module, params["env"]) if params["env"] else (None, None)
    text = read_source(params)
    staged = {"dest": params["dest"]}
    if params["src"] is not None:
        staged["content"] = to_text(text, errors="surrogate_or_strict")
    if env_text is None:
        validate(module, params, text, params["env_file"])
        return dict(staged, changed=put(module, params["dest"], text, ".compose-stage-"))
    validate_with_env(module, params, text, env_text)
    env_written = put(module, params["env_file"], env_text, ".env-stage-")
    compose_written = put(module, params["dest"], text, ".compose-stage-")
    return dict(staged, changed=env_written or compose_written, env_differs=env_differs)


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
