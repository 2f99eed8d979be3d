# -*- coding: utf-8 -*-
# Copyright (c) 2026, RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writing a file that may hold secrets: its bytes go to a 0600 temporary file beside it (never readable by
others, not even for a moment), which the caller then renames over it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import tempfile


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
