# -*- coding: utf-8 -*-
# Copyright (c) 2026, RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Optional third-party libraries, imported once and reported by name when missing.

The modules reach their libraries through this module (``deps.redis``, ``deps.psycopg``, ...), so that
argument validation still runs (and fails clearly) on a host where a library is absent, and a call
imports only the libraries it uses.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools
import importlib
import traceback

from ansible.module_utils.basic import missing_required_lib

# Package name on PyPI (what missing_required_lib names) -> {attribute of this module: (import path, name)}.
# Imported on first use, not at import time: each library costs 0.1-0.2 s to import, and a module call
# only needs the libraries of the mode it runs (redis_smoke's django mode never touches redis-py).
_PACKAGES = {
    "redis": {
        "redis": ("redis", None),
        "NoBackoff": ("redis.backoff", "NoBackoff"),
        "Retry": ("redis.retry", "Retry"),
    },
    "psycopg": {
        "psycopg": ("psycopg", None),
        "psycopg_conninfo": ("psycopg.conninfo", None),
        "psycopg_sql": ("psycopg.sql", None),
    },
    "docker": {
        "docker": ("docker", None),
        "docker_errors": ("docker.errors", None),
        "RequestException": ("requests.exceptions", "RequestException"),
    },
}


def _error_name(package):
    """The attribute that holds ``package``'s import traceback (None when it imported): REDIS_IMPORT_ERROR, ..."""
    return package.upper() + "_IMPORT_ERROR"


# Attribute of this module -> the package that provides it.
_OWNER = {attr: package for package, attrs in _PACKAGES.items() for attr in attrs}
_OWNER.update((_error_name(package), package) for package in _PACKAGES)


def _load(package):
    """Import ``package``'s attributes into this module (None each when missing); return the traceback or None."""
    loaded, error = {}, None
    try:
        for attr, (path, name) in _PACKAGES[package].items():
            imported = importlib.import_module(path)
            loaded[attr] = getattr(imported, name) if name else imported
    except ImportError:
        loaded, error = dict.fromkeys(_PACKAGES[package]), traceback.format_exc()
    globals().update(loaded)
    globals()[_error_name(package)] = error
    return error


def __getattr__(name):
    """``deps.redis``, ``deps.PSYCOPG_IMPORT_ERROR``, ...: the library is imported on first access."""
    package = _OWNER.get(name)
    if package is None:
        raise AttributeError("module %r has no attribute %r" % (__name__, name))
    _load(package)
    return globals()[name]


def _import_error(package):
    name = _error_name(package)
    return globals()[name] if name in globals() else _load(package)


# Package -> its import error (None when importable); functions, so tests can pretend a library is missing.
_IMPORT_ERRORS = {package: functools.partial(_import_error, package) for package in _PACKAGES}


def require(module, *packages):
    """Fail the module, naming the package, if any of ``packages`` could not be imported."""
    for package in packages:
        error = _IMPORT_ERRORS[package]()
        if error is not None:
            module.fail_json(msg=missing_required_lib(package), exception=error, reason="dependency")
