#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: dotenv
short_description: Manage keys of a docker compose C(.env) file without printing its secrets
version_added: 0.1.0
description:
  - Sets and removes keys in a C(.env) file and leaves every other line, comment, quote and the line order
    exactly as they were.
  - Diffs show the file's structure with every value masked except the keys this task sets (and those too when
    they look secret, such as a URL with a password). Comments are masked as well.
  - The file is parsed before anything is written; a malformed line fails the task, naming the line number but
    never its content.
  - Writes are atomic (a temporary file in the same directory, then a rename); the file's mode, owner and group are
    kept unless O(mode), O(owner) or O(group) say otherwise.
extends_documentation_fragment:
  - revisbali.business_suite.attributes
attributes:
  check_mode:
    support: full
    details: Reports what would change, with the masked diff, and writes nothing.
  diff_mode:
    support: full
  idempotent:
    support: full
options:
  path:
    description: The C(.env) file to read.
    type: path
    required: true
  dest:
    description:
      - Write the result here instead of O(path), e.g. to stage a file for C(docker compose config) before it goes
        live. O(path) is then only read.
    type: path
  src:
    description:
      - Make the file's content equal to this file on the host (e.g. a snapshot), byte for byte, with the same
        masked diff. Mutually exclusive with O(set) and O(remove).
    type: path
  set:
    description: Keys to assign. Keys already present are changed in place; new keys are appended.
    type: dict
    default: {}
  remove:
    description: Keys to remove (every assignment of them).
    type: list
    elements: str
    default: []
  show_keys:
    description:
      - With O(src), the keys whose values the diff may show (unless they look secret); all other values are
        masked. Without O(src), the keys in O(set) and O(remove) are the ones shown.
    type: list
    elements: str
    default: []
  header:
    description:
      - A comment line written once above keys appended at the end of the file.
      - With O(src) it is only used to show that line unmasked in the diff.
    type: str
  mode:
    description:
      - File mode of the result.
      - When not given, an existing file keeps its mode (a C(.env) at 0640 for an app group stays 0640) and a file
        the module creates gets 0600.
    type: raw
  owner:
    description:
      - Owner of the result. When not given, an existing file keeps its owner; a staged copy (O(dest)) gets the
        owner of O(path).
    type: str
  group:
    description: Group of the result, kept like O(owner) when not given.
    type: str
  create:
    description: Create the file when it does not exist; otherwise a missing file is an error.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Point the app at Redis
  revisbali.business_suite.dotenv:
    path: /srv/business_suite/.env
    set:
      REDIS_URL: redis://bs-redis:6379/1
      REDIS_HOST: bs-redis
      REDIS_PORT: "6379"
      PGQUEUE_CHANNEL: "0"
      CACHE_KEY_PREFIX: revisbali
    remove: [MEMCACHED_LOCATION]
    header: "# Redis: Django cache and PgQueuer broker"

- name: Stage the result next to a compose file for validation, leaving the live file alone
  revisbali.business_suite.dotenv:
    path: /srv/business_suite/.env
    dest: /tmp/stage/.env
    set:
      REDIS_HOST: bs-redis
"""

RETURN = r"""
changed_keys:
  description: Keys whose value was set or added.
  returned: always
  type: list
  elements: str
  sample: [REDIS_URL, REDIS_HOST]
removed_keys:
  description: Keys removed (a key listed twice had a duplicate assignment removed).
  returned: always
  type: list
  elements: str
  sample: [MEMCACHED_LOCATION]
differs_from_path:
  description:
    - Whether the content for O(dest) differs from O(path)'s, so that putting O(dest) in place of O(path) would change
      it. With O(dest) unset, whether O(path) changes (or would, in check mode).
  returned: always
  type: bool
  sample: false
dest:
  description: The file written (or that would be written in check mode).
  returned: always
  type: str
  sample: /srv/business_suite/.env
reason:
  description:
    - Why the module failed. V(input) (a parameter is invalid, such as a key that is not a valid .env name),
      V(file) (a file is missing without O(create), or cannot be read, written, or given its mode or owner),
      V(format) (a file is not a parseable .env; the message names the line but never its value).
  returned: failure
  type: str
  sample: format
"""

import os

from ansible.module_utils.common.text.converters import to_bytes, to_native, to_text

from ansible_collections.revisbali.business_suite.plugins.module_utils import dotenv, private_file
from ansible_collections.revisbali.business_suite.plugins.module_utils.probe_module import ProbeModule


def read_text(module, path, create):
    if not os.path.exists(path):
        if create:
            return ""
        module.fail_json(msg="%s does not exist (set create=true to create it)" % path, reason="file")
    try:
        with open(path, "rb") as handle:
            return to_text(handle.read(), errors="surrogate_or_strict")
    except (IOError, OSError, UnicodeError) as exc:
        module.fail_json(msg="cannot read %s: %s" % (path, to_native(exc)), reason="file")


def write_atomic(module, dest, content, reference):
    tmp = None
    try:
        tmp = private_file.stage_private(dest, to_bytes(content), ".dotenv-")
        if os.path.exists(reference) and reference != dest and not os.path.exists(dest) and os.geteuid() == 0:
            # A staged copy keeps the owner of the live file, so compose reads it the same way. Only root can give a
            # file away; a non-root user's copy is its own, which it can read.
            stat = os.stat(reference)
            os.chown(tmp, stat.st_uid, stat.st_gid)
    except (IOError, OSError) as exc:
        if tmp is not None and os.path.exists(tmp):
            os.remove(tmp)
        module.fail_json(msg="cannot write %s: %s" % (dest, to_native(exc)), reason="file")
    module.atomic_move(tmp, dest)


def main():
    # Failures of AnsibleModule's own file handling (atomic_move, owner, mode) are tagged reason=file.
    module = ProbeModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            dest=dict(type="path"),
            src=dict(type="path"),
            set=dict(type="dict", default={}, no_log=False),
            remove=dict(type="list", elements="str", default=[], no_log=False),
            show_keys=dict(type="list", elements="str", default=[], no_log=False),
            header=dict(type="str"),
            mode=dict(type="raw"),
            owner=dict(type="str"),
            group=dict(type="str"),
            create=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
        mutually_exclusive=[("src", "set"), ("src", "remove")],
        fallback_reason="file",
    )
    params = module.params
    path, dest = params["path"], params["dest"] or params["path"]
    try:
        wanted, secrets = dotenv.wanted_values(params["set"], params["remove"])
    except dotenv.DotenvError as exc:
        module.fail_json(msg=to_native(exc), reason="input")
    module.no_log_values.update(secrets)

    before_text = read_text(module, path, params["create"])
    try:
        before = dotenv.parse(before_text)
        if params["src"]:
            after_text = read_text(module, params["src"], False)
            after = dotenv.parse(after_text)
            changed_keys, removed_keys = dotenv.compare(before, after)
        else:
            after, changed_keys, removed_keys = dotenv.apply(before, wanted, params["remove"], params["header"])
            after_text = dotenv.render(after)
    except dotenv.DotenvError as exc:
        module.fail_json(msg="%s: %s" % (params["src"] or path, to_native(exc)), reason="format")

    # A file this run creates gets 0600 (atomic_move would give it the umask's 0644); an existing one keeps its mode.
    mode = params["mode"] if params["mode"] is not None or os.path.exists(dest) else "0600"
    current_text = before_text if dest == path else (read_text(module, dest, True) if os.path.exists(dest) else None)
    content_changed = current_text != after_text
    result = dict(
        changed=False,
        changed_keys=changed_keys,
        removed_keys=removed_keys,
        differs_from_path=before_text != after_text,
        dest=dest,
    )
    if content_changed and module._diff:
        shown = set(params["show_keys"]) if params["src"] else set(wanted) | set(params["remove"])
        comments = (params["header"].strip(),) if params["header"] else ()
        current = dotenv.parse(current_text) if current_text is not None else []
        result["diff"] = dict(
            before_header=dest,
            after_header=dest,
            before=dotenv.redacted(current, shown, comments),
            after=dotenv.redacted(after, shown, comments),
        )
    if content_changed:
        result["changed"] = True
        if not module.check_mode:
            write_atomic(module, dest, after_text, path)

    if os.path.exists(dest):
        file_args = module.load_file_common_arguments(
            dict(path=dest, mode=mode, owner=params["owner"], group=params["group"])
        )
        result["changed"] = module.set_fs_attributes_if_different(file_args, result["changed"])
    elif module.check_mode:
        result["changed"] = True
    module.exit_json(**result)


if __name__ == "__main__":
    main()
