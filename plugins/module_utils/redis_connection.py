# -*- coding: utf-8 -*-
# Copyright (c) 2026, RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Redis connection both modules use: one argument spec, URL parsing and validation,
client construction and the classification of Redis errors into a failure ``reason``."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
from urllib.parse import parse_qs, unquote, urlsplit

from ansible_collections.revisbali.business_suite.plugins.module_utils import deps
from ansible_collections.revisbali.business_suite.plugins.module_utils.errors import InputError, ProbeError
from ansible_collections.revisbali.business_suite.plugins.module_utils.input_checks import (
    require_port,
    require_positive,
    require_text,
)

# Documented in doc_fragments/redis.py; pgqueuer_probe reuses it as the sub-options of ``redis``.
REDIS_CONNECTION_SPEC = dict(
    url=dict(type="str", no_log=True),
    host=dict(type="str", default="localhost"),
    port=dict(type="int", default=6379),
    db=dict(type="int", default=0),
    username=dict(type="str"),
    password=dict(type="str", no_log=True),
    tls=dict(type="bool"),
    validate_certs=dict(type="bool", default=True),
    ca_cert=dict(type="path"),
    client_cert=dict(type="path"),
    client_key=dict(type="path"),
    connect_timeout=dict(type="float", default=5.0),
)

REDIS_MUTUALLY_EXCLUSIVE = [("url", name) for name in ("host", "port", "db", "username", "password")]

URL_SCHEMES = ("redis", "rediss", "unix")


def _port(field, text):
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise InputError(field, "port %r is not a number in 1-65535" % (text,))
    return int(text)


def _db(field, text):
    if not text.isdigit():
        raise InputError(field, "database %r is not a number >= 0" % (text,))
    return int(text)


def parse_redis_url(url, field="url"):
    """Split a redis://, rediss:// or unix:// URL into connection settings.

    Messages never repeat the URL or its password: the URL is a secret as a whole.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in URL_SCHEMES:
        allowed = ", ".join(s + "://" for s in URL_SCHEMES)
        raise InputError(field, "scheme must be one of %s, got %r" % (allowed, scheme))
    userinfo, hostport = parts.netloc.rpartition("@")[::2]
    username, has_password, password = userinfo.partition(":")
    settings = dict(
        username=unquote(username) or None,
        password=unquote(password) if has_password else None,
        tls=scheme == "rediss",
        unix_socket_path=None,
        host=None,
        port=None,
        db=0,
    )
    query = parse_qs(parts.query)
    if "db" in query:
        settings["db"] = _db(field, query["db"][0])
    if scheme == "unix":
        if not parts.path:
            raise InputError(field, "unix:// needs a socket path, e.g. unix:///run/redis/redis.sock?db=0")
        settings["unix_socket_path"] = unquote(parts.path)
        return settings
    host, port = hostport, "6379"
    if hostport.startswith("["):  # [IPv6]:port
        host, rest = hostport[1:].partition("]")[::2]
        port = rest[1:] if rest.startswith(":") else port
    elif ":" in hostport:
        host, port = hostport.rpartition(":")[::2]
    if not host:
        raise InputError(field, "no host in the URL")
    settings["host"] = unquote(host)
    settings["port"] = _port(field, port)
    path = parts.path.strip("/")
    if path:
        settings["db"] = _db(field, path)
    return settings


def resolve_settings(params, prefix=""):
    """Validated connection settings from module parameters, or InputError naming the field.

    ``prefix`` names where the options sit (``redis.`` inside pgqueuer_probe).
    """
    if params.get("url"):
        settings = parse_redis_url(params["url"], prefix + "url")
        if params.get("tls") is False and settings["tls"]:
            raise InputError(prefix + "tls", "false contradicts the rediss:// URL")
        if params.get("tls") and settings["unix_socket_path"] is None and not settings["tls"]:
            raise InputError(prefix + "tls", "true contradicts the redis:// URL; use rediss:// for TLS")
    else:
        settings = dict(
            host=params["host"],
            port=params["port"],
            db=params["db"],
            username=params.get("username"),
            password=params.get("password"),
            tls=bool(params.get("tls")),
            unix_socket_path=None,
        )
        require_text(params, ("host",), prefix)
        require_port(params, "port", prefix)
        if settings["db"] < 0:
            raise InputError(prefix + "db", "%d is negative; Redis databases are numbered from 0" % settings["db"])
    require_positive(params, ("connect_timeout",), prefix)
    for name in ("ca_cert", "client_cert", "client_key"):
        path = params.get(name)
        if not path:
            continue
        if not settings["tls"]:
            raise InputError(prefix + name, "is set but TLS is off; set tls: true or use a rediss:// URL")
        if not os.path.isfile(path):
            raise InputError(prefix + name, "no such file: %s" % path)
    if params.get("client_key") and not params.get("client_cert"):
        raise InputError(prefix + "client_key", "needs client_cert too")
    settings.update(
        validate_certs=params["validate_certs"],
        ca_cert=params.get("ca_cert"),
        client_cert=params.get("client_cert"),
        client_key=params.get("client_key"),
        connect_timeout=params["connect_timeout"],
    )
    return settings


def describe(settings):
    """Where the client connects, for messages: never credentials."""
    # Not URL-shaped on purpose: a URL equal to the (secret) url option would be masked.
    if settings["unix_socket_path"]:
        return "socket %s db %d" % (settings["unix_socket_path"], settings["db"])
    return "%s:%d db %d%s" % (settings["host"], settings["port"], settings["db"], " (TLS)" if settings["tls"] else "")


def client_kwargs(settings, socket_timeout=None):
    """Keyword arguments for ``redis.Redis``; works with redis-py 4.3 (Debian 12) up to 8.x.

    No retries: a smoke check reports the first failure instead of hiding it behind backoff.
    """
    timeout = settings["connect_timeout"]
    kwargs = dict(
        db=settings["db"],
        username=settings["username"],
        password=settings["password"],
        socket_connect_timeout=timeout,
        socket_timeout=timeout if socket_timeout is None else socket_timeout,
        decode_responses=True,
        retry=deps.Retry(deps.NoBackoff(), 0),
    )
    if settings["unix_socket_path"]:
        kwargs["unix_socket_path"] = settings["unix_socket_path"]
        return kwargs
    kwargs.update(host=settings["host"], port=settings["port"])
    if settings["tls"]:
        kwargs.update(
            ssl=True,
            ssl_cert_reqs="required" if settings["validate_certs"] else "none",
            ssl_check_hostname=settings["validate_certs"],
            ssl_ca_certs=settings["ca_cert"],
            ssl_certfile=settings["client_cert"],
            ssl_keyfile=settings["client_key"],
        )
    return kwargs


def connect(settings, socket_timeout=None):
    """A client for ``settings``; the TCP/TLS connection opens on its first command."""
    return deps.redis.Redis(**client_kwargs(settings, socket_timeout))


def classify_error(type_names, message):
    """Failure ``reason`` for an exception, given the names of its class hierarchy.

    Works on names so that the same rules classify errors raised here and errors an
    in-container script reports as text. Returns None when the error is not Redis' own.
    """
    names = set(type_names)
    if "NoPermissionError" in names or message.startswith("NOPERM"):
        return "acl"
    if names & {"AuthenticationError", "AuthenticationWrongNumberOfArgsError"}:
        return "auth"
    if message.startswith(("NOAUTH", "WRONGPASS")):
        return "auth"
    if names & {"ConnectionError", "TimeoutError", "OSError", "BusyLoadingError"}:
        return "unreachable"
    return None


def type_names(exc):
    return [cls.__name__ for cls in type(exc).__mro__]


def redis_failure(exc, settings, doing):
    """ProbeError for a Redis exception raised while ``doing`` something against ``settings``."""
    message = str(exc)
    reason = classify_error(type_names(exc), message) or "unreachable"
    hint = ""
    if reason == "acl":
        hint = " (the Redis ACL user lacks a permission; django-redis's cache.incr needs EVAL)"
    elif reason == "auth" and not settings["password"]:
        hint = " (the server requires a password and none was given)"
    elif reason == "auth":
        hint = " (check username/password)"
    return ProbeError(
        reason, "Redis at %s: %s failed: %s: %s%s" % (describe(settings), doing, type(exc).__name__, message, hint)
    )


def redis_error_types():
    """What to catch around Redis calls; nothing when redis-py is absent (it was never used)."""
    return deps.redis.RedisError if deps.redis is not None else ()
