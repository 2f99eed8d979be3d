# -*- coding: utf-8 -*-
# Copyright (c) 2026, RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The PostgreSQL connection of pgqueuer_probe: argument spec, validation, connecting with
psycopg 3 (3.1 on Debian 12 up to 3.3), and the classification of its errors."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.revisbali.business_suite.plugins.module_utils import deps
from ansible_collections.revisbali.business_suite.plugins.module_utils.probe import (
    InputError,
    ProbeError,
    require_port,
    require_positive,
)

SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")

# Documented in doc_fragments/postgres.py.
POSTGRES_CONNECTION_SPEC = dict(
    dsn=dict(type="str", no_log=True),
    db_host=dict(type="str", default="localhost"),
    db_port=dict(type="int", default=5432),
    db_name=dict(type="str"),
    db_user=dict(type="str"),
    db_password=dict(type="str", no_log=True),
    sslmode=dict(type="str", choices=list(SSLMODES)),
    connect_timeout=dict(type="int", default=5),
)

POSTGRES_MUTUALLY_EXCLUSIVE = [("dsn", name) for name in ("db_host", "db_port", "db_name", "db_user", "db_password")]


def resolve_conninfo(params, application_name):
    """libpq keywords for ``psycopg.connect``, or InputError naming the field. Needs psycopg."""
    require_positive(params, ("connect_timeout",))
    if params.get("dsn"):
        try:
            conninfo = deps.psycopg_conninfo.conninfo_to_dict(params["dsn"])
        except deps.psycopg.Error:
            # libpq's message quotes the string, and the string may hold a password.
            raise InputError("dsn", "is not a valid libpq connection string or postgresql:// URL") from None
    else:
        require_port(params, "db_port")
        conninfo = dict(
            host=params["db_host"],
            port=params["db_port"],
            dbname=params.get("db_name"),
            user=params.get("db_user"),
            password=params.get("db_password"),
        )
    conninfo.update(connect_timeout=params["connect_timeout"], application_name=application_name)
    if params.get("sslmode"):
        conninfo["sslmode"] = params["sslmode"]
    return dict((k, v) for k, v in conninfo.items() if v is not None)


def describe(conninfo):
    """Where the probe connects, for messages: never credentials, and not URL-shaped (a URL
    equal to the secret dsn option would be masked)."""
    return "%s:%s db %s" % (
        conninfo.get("host", "localhost"),
        conninfo.get("port", 5432),
        conninfo.get("dbname", conninfo.get("user", "")),
    )


def connect(conninfo):
    """An autocommit session: every probe statement commits (and notifies) on its own."""
    try:
        return deps.psycopg.connect(autocommit=True, **conninfo)
    except deps.psycopg.Error as e:
        raise postgres_failure(e, conninfo, "connect") from e


def classify(exc):
    """Failure ``reason`` for a psycopg error."""
    sqlstate = getattr(exc, "sqlstate", None) or ""
    message = str(exc)
    if sqlstate.startswith("28") or "password authentication failed" in message or "no password supplied" in message:
        return "auth"
    if sqlstate == "42501" or "permission denied" in message:
        return "acl"
    if sqlstate.startswith(("42P01", "42704")):  # undefined table / object: PgQueuer is not installed
        return "backend"
    return "unreachable"


def postgres_failure(exc, conninfo, doing):
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ProbeError(classify(exc), "PostgreSQL at %s: %s failed: %s" % (describe(conninfo), doing, message))
