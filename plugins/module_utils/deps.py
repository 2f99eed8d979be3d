# -*- coding: utf-8 -*-
# Copyright (c) 2026, RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Optional third-party libraries, imported once and reported by name when missing.

The modules import their libraries here, guarded, so that argument validation still
runs (and fails clearly) on a host where a library is absent.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import traceback

from ansible.module_utils.basic import missing_required_lib

try:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    REDIS_IMPORT_ERROR = None
except ImportError:
    redis = NoBackoff = Retry = None
    REDIS_IMPORT_ERROR = traceback.format_exc()

try:
    import psycopg
    from psycopg import conninfo as psycopg_conninfo
    from psycopg import sql as psycopg_sql

    PSYCOPG_IMPORT_ERROR = None
except ImportError:
    psycopg = psycopg_conninfo = psycopg_sql = None
    PSYCOPG_IMPORT_ERROR = traceback.format_exc()

try:
    import docker
    import docker.errors
    from requests.exceptions import RequestException

    DOCKER_IMPORT_ERROR = None
except ImportError:
    docker = RequestException = None
    DOCKER_IMPORT_ERROR = traceback.format_exc()

__all__ = [
    "DOCKER_IMPORT_ERROR",
    "PSYCOPG_IMPORT_ERROR",
    "REDIS_IMPORT_ERROR",
    "NoBackoff",
    "RequestException",
    "Retry",
    "docker",
    "psycopg",
    "psycopg_conninfo",
    "psycopg_sql",
    "redis",
    "require",
]

# Package name on PyPI (what missing_required_lib names) -> import error or None.
_IMPORT_ERRORS = {
    "redis": lambda: REDIS_IMPORT_ERROR,
    "psycopg": lambda: PSYCOPG_IMPORT_ERROR,
    "docker": lambda: DOCKER_IMPORT_ERROR,
}


def require(module, *packages):
    """Fail the module, naming the package, if any of ``packages`` could not be imported."""
    for package in packages:
        error = _IMPORT_ERRORS[package]()
        if error is not None:
            module.fail_json(msg=missing_required_lib(package), exception=error, reason="dependency")
