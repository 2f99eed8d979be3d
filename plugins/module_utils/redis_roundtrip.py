# -*- coding: utf-8 -*-
# Copyright (c) 2026, RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""redis_smoke's direct mode: a key round trip against Redis itself, the server facts
that matter to a cache, and the optional assertions on them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import re
import uuid
from collections import OrderedDict

from ansible_collections.revisbali.business_suite.plugins.module_utils import deps, redis_connection
from ansible_collections.revisbali.business_suite.plugins.module_utils.probe import (
    InputError,
    ProbeError,
    Stopwatch,
    mismatches,
    require_positive,
    require_text,
)

# django-redis's cache.incr runs EXISTS then INCRBY in one Lua script: a user without EVAL
# passes get/set and fails the first incr in production. This EVAL proves the permission.
EXISTS_SCRIPT = "return redis.call('EXISTS', KEYS[1])"

# What each step must return on a healthy server (decode_responses: strings come back as str).
EXPECTED = OrderedDict([("set", True), ("incr", 2), ("get", "2"), ("eval", 1), ("delete", 1)])

SERVER_FIELDS = ("redis_version", "role", "maxmemory", "maxmemory_policy", "used_memory")

# Redis' own unit rules (redis.conf): k/m/g are powers of 1000, kb/mb/gb powers of 1024.
_SIZE_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2, "g": 1000**3, "gb": 1024**3}
_SIZE = re.compile(r"^\s*(\d+)\s*([kmg]?b?)\s*$", re.IGNORECASE)


def parse_size(value, field="min_free_memory"):
    """Bytes from an int or a Redis-style size such as ``64mb`` or ``1g``."""
    match = _SIZE.match(str(value))
    if isinstance(value, bool) or not match:
        raise InputError(field, "%r is not a size in bytes or like 64mb, 512kb, 1gb" % (value,))
    return int(match.group(1)) * _SIZE_UNITS[match.group(2).lower()]


def parse_version(value, field="min_version"):
    """``"7.0"`` -> ``(7, 0)``; anything but dotted numbers is an input error."""
    text = str(value).strip()
    if not re.match(r"^\d+(\.\d+)*$", text):
        raise InputError(field, "%r is not a version like 7.0 or 7.2.4" % (value,))
    return tuple(int(part) for part in text.split("."))


def validate(params):
    """Assertion parameters, parsed; raises InputError before anything connects."""
    require_positive(params, ("ttl",))
    require_text(params, ("key_prefix",))
    return dict(
        policy=params.get("expect_maxmemory_policy"),
        min_free=None if params.get("min_free_memory") is None else parse_size(params["min_free_memory"]),
        min_version=None if params.get("min_version") is None else parse_version(params["min_version"]),
    )


def server_facts(info):
    """The INFO fields a cutover cares about, plus ``free_memory`` (None when maxmemory is 0)."""
    facts = dict((name, info.get(name)) for name in SERVER_FIELDS)
    facts["redis_version"] = str(facts["redis_version"])  # INFO parsing turns "7.0" into a float
    maxmemory = int(facts["maxmemory"] or 0)
    facts["free_memory"] = max(maxmemory - int(facts["used_memory"] or 0), 0) if maxmemory else None
    return facts


def check_assertions(server, wanted):
    """Failure messages for every assertion the server does not meet, and warnings."""
    failed, warnings = [], []
    if wanted["policy"] is not None and server["maxmemory_policy"] != wanted["policy"]:
        failed.append("maxmemory_policy is %r, expected %r" % (server["maxmemory_policy"], wanted["policy"]))
    if wanted["min_version"] is not None:
        have = parse_version(server["redis_version"], "redis_version")
        if have < wanted["min_version"]:
            want = ".".join(str(part) for part in wanted["min_version"])
            failed.append("redis_version %s is older than %s" % (server["redis_version"], want))
    if wanted["min_free"] is not None:
        if server["free_memory"] is None:
            warnings.append("maxmemory is 0 (no limit): min_free_memory cannot be checked against a Redis ceiling")
        elif server["free_memory"] < wanted["min_free"]:
            failed.append(
                "free memory %d bytes (maxmemory %d - used_memory %d) is below min_free_memory %d"
                % (server["free_memory"], server["maxmemory"], server["used_memory"], wanted["min_free"])
            )
    return failed, warnings


def _read_server(client, watch, settings, wanted, module):
    """INFO is optional for the round trip: an ACL user without it still gets a verdict,
    unless an assertion needs the facts."""
    try:
        return server_facts(watch.time("info", client.info))
    except deps.redis.RedisError as e:
        failure = redis_connection.redis_failure(e, settings, "INFO")
        if failure.reason != "acl" or any(value is not None for value in wanted.values()):
            raise failure from e
        module.warn("INFO is not permitted for this Redis user; server facts are not reported")
        return {}


def _roundtrip(client, watch, key, ttl, values):
    steps = (
        ("set", lambda: client.set(key, 1, ex=ttl)),
        ("incr", lambda: client.incr(key)),
        ("get", lambda: client.get(key)),
        ("eval", lambda: client.eval(EXISTS_SCRIPT, 1, key)),
        ("delete", lambda: client.delete(key)),
    )
    for name, step in steps:
        values[name] = watch.time(name, step)


def run(module):
    params = module.params
    wanted = validate(params)
    settings = redis_connection.resolve_settings(params)
    module.hide(settings["password"])
    deps.require(module, "redis")

    key = "%s:%s" % (params["key_prefix"], uuid.uuid4().hex)
    watch, values, step = Stopwatch(), OrderedDict(), "connect"
    client = redis_connection.connect(settings)
    try:
        watch.time("connect", client.ping)
        step = "INFO"
        server = _read_server(client, watch, settings, wanted, module)
        failed, warnings = check_assertions(server, wanted) if server else ([], [])
        for warning in warnings:
            module.warn(warning)
        if not module.check_mode:
            step = "the key round trip"
            _roundtrip(client, watch, key, params["ttl"], values)
    except deps.redis.RedisError as e:
        failure = redis_connection.redis_failure(e, settings, step)
        failure.facts.update(key=key, values=dict(values), latency_ms=watch.total())
        raise failure from e
    finally:
        if "set" in values and "delete" not in values:
            _forget(client, key)
        client.close()

    result = dict(mode="direct", key=key, values=dict(values), latency_ms=watch.total(), server=server)
    where = "Redis at %s" % redis_connection.describe(settings)
    problems = [] if module.check_mode else mismatches(EXPECTED, values)
    if problems:
        raise ProbeError("mismatch", "%s: %s" % (where, "; ".join(problems)), **result)
    if failed:
        raise ProbeError("assertion", "%s: %s" % (where, "; ".join(failed)), **result)
    if module.check_mode:
        result["msg"] = "check mode: connected and read INFO; the key round trip was skipped"
    else:
        result["msg"] = "%s: set/incr/get/eval/delete round trip ok in %.1f ms" % (where, result["latency_ms"]["total"])
    return result


def _forget(client, key):
    """Best-effort removal of the probe key after a failed round trip; it also expires on its own."""
    with contextlib.suppress(deps.redis.RedisError):
        client.delete(key)
