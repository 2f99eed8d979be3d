# -*- coding: utf-8 -*-
# Copyright (c) 2026, RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writing a file that may hold secrets: its bytes go to a 0600 temporary file beside it (never readable by
others, not even for a moment), which is then renamed over it. Also reading such a file back, and telling
whether it already holds what would be written."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import tempfile

from ansible.module_utils.common.text.converters import to_native

from ansible_collections.revisbali.business_suite.plugins.module_utils.errors import ProbeError


def stage_private(dest, content, prefix):
    """Write ``content`` (bytes) to a new 0600 file in ``dest``'s directory and return its path. On an OSError
    nothing is left behind and the error is raised."""
    handle, tmp = tempfile.mkstemp(prefix=prefix, dir=os.path.dirname(dest) or ".")
    try:
        try:
            os.fchmod(handle, 0o600)
            os.write(handle, content)
            os.fsync(handle)
        finally:
            os.close(handle)
    except OSError:
        os.remove(tmp)
        raise
    return tmp


def write_private(path, content, prefix):
    """Replace ``path`` with ``content`` (bytes), 0600, atomically; a failure is a ProbeError ``file``."""
    try:
        os.replace(stage_private(path, content, prefix), path)
    except OSError as exc:
        raise ProbeError("file", "cannot write %s: %s" % (path, to_native(exc))) from None


def read_bytes(path, missing=None):
    """The file's bytes; ``missing`` (when given) if there is nothing at ``path``, else a ProbeError ``file``."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        if missing is not None and not os.path.lexists(path):
            return missing
        raise ProbeError("file", "cannot read %s: %s" % (path, to_native(exc))) from None


def holds_private(path, data):
    """Whether ``path`` is a regular file (not a link), 0600, that already holds ``data``."""
    if not os.path.isfile(path) or os.path.islink(path):
        return False
    return os.stat(path).st_mode & 0o777 == 0o600 and read_bytes(path) == data
