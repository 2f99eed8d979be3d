#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: cutover_report
short_description: Keep a run's report on the host in one call, with latest.* pointing at it
version_added: 0.1.0
description:
  - Creates O(dir) (0700, and the parents it lacks) when it is missing, writes each of O(files) as
    O(dir)/O(name).EXT, 0600 through a 0600 temporary file beside it, then points O(dir)/O(latest).EXT at it (a
    relative symbolic link, replaced atomically).
  - One call instead of a task per directory, file and link, so that keeping a report costs one round trip to the
    host.
  - Nothing is written before every input is checked. A path under O(dir) that O(latest) would replace and that
    is not a symbolic link is never replaced (RV(reason=file)).
extends_documentation_fragment:
  - revisbali.business_suite.attributes
attributes:
  check_mode:
    support: full
    details: Says what it would write or link; writes nothing.
  diff_mode:
    support: none
    details: A report is a new file each run.
  idempotent:
    support: full
    details: A second call with the same inputs writes and links nothing.
options:
  dir:
    description: The directory that holds the reports. Created 0700 when missing; an existing one is left as it is.
    type: path
    required: true
  name:
    description: The report's file name without its extension (letters, digits, C(.), C(_), C(-)).
    type: str
    required: true
  files:
    description: The report's text by extension (letters and digits), for example V(json) and V(txt).
    type: dict
    required: true
  latest:
    description:
      - The name whose files point at this report (O(dir)/V(latest.json) → O(name)V(.json)). Empty links nothing.
    type: str
    default: latest
"""

EXAMPLES = r"""
- name: Keep the report on the host
  revisbali.business_suite.cutover_report:
    dir: /srv/business_suite/.cutover/reports
    name: 20261207T013000Z-rollout
    files:
      json: "{{ report | to_nice_json }}"
      txt: "{{ lookup('ansible.builtin.template', 'report.txt.j2') }}"
"""

RETURN = r"""
paths:
  description: The report's files, by extension (written, or that would be written in check mode).
  returned: success
  type: dict
  sample: {json: /srv/business_suite/.cutover/reports/20261207T013000Z-rollout.json}
reason:
  description:
    - Why the module failed. V(input) (a parameter is invalid) or V(file) (a directory, file or link cannot be
      written, or a path O(latest) names is not a link).
  returned: failure
  type: str
  sample: file
"""

import os
import re

from ansible.module_utils.common.text.converters import to_bytes, to_native

from ansible_collections.revisbali.business_suite.plugins.module_utils import private_file
from ansible_collections.revisbali.business_suite.plugins.module_utils.errors import ProbeError
from ansible_collections.revisbali.business_suite.plugins.module_utils.probe_module import ProbeModule

ARGUMENT_SPEC = dict(
    dir=dict(type="path", required=True),
    name=dict(type="str", required=True),
    files=dict(type="dict", required=True),
    latest=dict(type="str", default="latest"),
)

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
EXTENSION = re.compile(r"^[A-Za-z0-9]+$")


def check_input(params):
    for option in ("name", "latest"):
        value = params[option]
        if (value or option == "name") and not NAME.match(value or ""):
            raise ProbeError("input", "%s must be a file name (letters, digits, . _ -), got %r" % (option, value))
    if params["latest"] == params["name"]:
        raise ProbeError("input", "latest must differ from name, both are %r" % params["name"])
    if not params["files"]:
        raise ProbeError("input", "files must hold at least one extension and its text")
    for ext, text in params["files"].items():
        if not EXTENSION.match(ext) or not isinstance(text, str):
            raise ProbeError("input", "files must map extensions (letters, digits) to text, got %r" % ext)


def plan(params):
    """What the call would do: (create the directory?, files to write as (path, bytes), links as (path, target))."""
    make_dir = not os.path.isdir(params["dir"])
    writes, links = [], []
    for ext, text in sorted(params["files"].items()):
        path = os.path.join(params["dir"], "%s.%s" % (params["name"], ext))
        data = to_bytes(text, errors="surrogate_or_strict")
        if not private_file.holds_private(path, data):
            writes.append((path, data))
        if params["latest"]:
            link, target = os.path.join(params["dir"], "%s.%s" % (params["latest"], ext)), os.path.basename(path)
            if os.path.lexists(link) and not os.path.islink(link):
                raise ProbeError("file", "%s is not a symbolic link; it is not replaced" % link)
            if not (os.path.islink(link) and os.readlink(link) == target):
                links.append((link, target))
    return make_dir, writes, links


def point(link, target):
    """Make ``link`` a symbolic link to ``target``, replacing an older link in one rename."""
    tmp = "%s.tmp-%d" % (link, os.getpid())
    try:
        os.symlink(target, tmp)
        os.replace(tmp, link)
    except OSError as exc:
        if os.path.lexists(tmp):
            os.remove(tmp)
        raise ProbeError("file", "cannot point %s at %s: %s" % (link, target, to_native(exc))) from None


def keep(module):
    params = module.params
    check_input(params)
    make_dir, writes, links = plan(params)
    paths = dict((ext, os.path.join(params["dir"], "%s.%s" % (params["name"], ext))) for ext in params["files"])
    if not module.check_mode:
        if make_dir:
            try:
                os.makedirs(params["dir"], 0o700)
            except OSError as exc:
                raise ProbeError("file", "cannot create %s: %s" % (params["dir"], to_native(exc))) from None
        for path, data in writes:
            private_file.write_private(path, data, ".report-")
        for link, target in links:
            point(link, target)
    return {"changed": bool(make_dir or writes or links), "paths": paths}


def main():
    module = ProbeModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.run(keep)


if __name__ == "__main__":
    main()
