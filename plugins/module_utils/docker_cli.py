# -*- coding: utf-8 -*-
# Copyright (c) 2026, RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``docker`` CLI as the modules that read or tag the engine call it: the client ``docker compose`` uses, with
the same DOCKER_HOST and context, run without a shell."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible.module_utils.common.text.converters import to_native

from ansible_collections.revisbali.business_suite.plugins.module_utils.errors import ProbeError

# What the CLI says on stderr for a name that does not exist (it still prints the names that do).
MISSING = re.compile(r"No such (container|object|image|network)|network \S+ not found", re.IGNORECASE)


class Docker(object):
    """The docker CLI, through AnsibleModule.run_command. ``cli`` is None when there is none in PATH."""

    def __init__(self, module):
        self.module = module
        self.cli = module.get_bin_path("docker")

    def run(self, *args, **kwargs):
        """``data``, if given, is written to the command's stdin."""
        rc, out, err = self.module.run_command([self.cli, *args], data=kwargs.get("data"), binary_data=True)
        return rc, to_native(out), to_native(err).strip()

    def inspect(self, *args):
        """The documents ``docker <args> --format {{json .}}`` prints; a name that does not exist is only absent
        (the CLI then exits 1 and says "No such ..." or "not found"), any other complaint is a failure."""
        rc, out, err = self.run(*args, "--format", "{{json .}}")
        other = [line for line in err.splitlines() if line.strip() and not MISSING.search(line)]
        what = " ".join(args[:2])
        if rc != 0 and other:
            raise ProbeError("container", "docker %s failed: %s" % (what, " ".join(other)[:300]))
        try:
            return [json.loads(line) for line in out.splitlines() if line.strip()]
        except ValueError:
            raise ProbeError("container", "docker %s did not answer JSON: %s" % (what, out[:200])) from None
