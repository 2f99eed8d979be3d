# -*- coding: utf-8 -*-
# Copyright (c) 2026, RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""redis_smoke's two modes: ``direct``, a key round trip against Redis itself with the server facts
that matter to a cache and the optional assertions on them; ``django``, the cache round trip through
the application's own settings, run inside its container (Docker SDK, docker 5.0+) so it sees exactly
what the application sees."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import json
import os
import re
import time
import uuid
from collections import OrderedDict

from ansible_collections.revisbali.business_suite.plugins.module_utils import deps, redis_connection
from ansible_collections.revisbali.business_suite.plugins.module_utils.errors import InputError, ProbeError
from ansible_collections.revisbali.business_suite.plugins.module_utils.input_checks import (
    require_positive,
    require_text,
)
from ansible_collections.revisbali.business_suite.plugins.module_utils.probe_module import Stopwatch, elapsed_ms


def mismatches(expected, observed):
    """Names each step whose observed value differs from the expected one, in step order."""
    problems = []
    for step, want in expected.items():
        got = observed.get(step, "<not reached>")
        if got != want or type(got) is not type(want):
            problems.append("%s returned %r, expected %r" % (step, got, want))
    return problems


# Direct mode.

# django-redis's cache.incr runs EXISTS then INCRBY in one Lua script: a user without EVAL
# passes get/set and fails the first incr in production. This EVAL proves the permission.
EXISTS_SCRIPT = "return redis.call('EXISTS', KEYS[1])"

# What each step must return on a healthy server (decode_responses: strings come back as str).
DIRECT_EXPECTED = OrderedDict([("set", True), ("incr", 2), ("get", "2"), ("eval", 1), ("delete", 1)])

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


def validate_direct(params):
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


def run_direct(module):
    params = module.params
    wanted = validate_direct(params)
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
    problems = [] if module.check_mode else mismatches(DIRECT_EXPECTED, values)
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


# The application's container.

DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"


def docker_host_default():
    return os.environ.get("DOCKER_HOST") or DEFAULT_DOCKER_HOST


def _engine_error(docker_host, exc):
    return ProbeError("container", "Docker engine at %s: %s: %s" % (docker_host, type(exc).__name__, exc))


@contextlib.contextmanager
def running_container(docker_host, name, timeout=30):
    """The running container ``name`` (a Docker SDK ``Container``), for one engine connection.

    ``timeout`` bounds every engine call, an exec included. A container that is missing or not
    running is a ``container`` failure, reported before anything runs in it; so is any engine
    error inside the ``with`` block.
    """
    errors = deps.docker_errors
    try:
        client = deps.docker.DockerClient(base_url=docker_host, timeout=timeout, version="auto")
    except errors.DockerException as e:
        raise _engine_error(docker_host, e) from e
    try:
        try:
            container = client.containers.get(name)
        except errors.NotFound:
            raise ProbeError("container", "container %r does not exist on %s" % (name, docker_host)) from None
        if container.status != "running":
            raise ProbeError("container", "container %r is %s, not running" % (name, container.status))
        yield container
    except errors.DockerException as e:
        raise _engine_error(docker_host, e) from e
    except deps.RequestException as e:  # the SDK lets socket timeouts through as requests errors
        raise ProbeError("container", "exec in %r gave no answer within %s s: %s" % (name, timeout, e)) from e
    finally:
        client.close()


def container_environment(container):
    """The container's configured environment (the image's ENV with the run's own on top): what an exec
    inherits when it is given no ``environment`` of its own."""
    environment = {}
    for entry in (container.attrs.get("Config") or {}).get("Env") or []:
        key, _sep, value = entry.partition("=")
        environment[key] = value
    return environment


def run_in(container, argv, environment=None, workdir=None):
    """Run ``argv`` in ``container`` (inside ``running_container``); returns ``(exit_code, stdout, stderr)``.

    ``environment`` is added to the container's own; None runs in the container's environment alone.
    """
    exit_code, (stdout, stderr) = container.exec_run(argv, environment=environment, workdir=workdir, demux=True)
    return exit_code, _text(stdout), _text(stderr)


def _text(data):
    return (data or b"").decode("utf-8", "replace")


# Django mode.

# Runs in the container's Python with DJANGO_SETTINGS_MODULE set (by the container's own environment or by the
# module); argv[1] is a JSON object
# (key, ttl, timeout, check_mode). Prints one JSON line. Reads back every value, because with
# django-redis IGNORE_EXCEPTIONS a failing cache returns None instead of raising.
DJANGO_SCRIPT = r"""
import json, signal, sys, time
args = json.loads(sys.argv[1])
signal.alarm(max(int(args["timeout"]), 1))  # never outlive the caller
out = {"stage": "setup", "timings_ms": {}, "values": {}}
def lap(name, start):
    out["timings_ms"][name] = round((time.monotonic() - start) * 1000, 2)
cache = None
try:
    start = time.monotonic()
    import django
    django.setup()
    from django.conf import settings
    out["backend"] = settings.CACHES["default"]["BACKEND"]
    lap("setup", start)
    if not args["check_mode"]:
        out["stage"] = "backend"
        from django.core.cache import caches
        cache = caches["default"]
        key = args["key"]
        steps = (
            ("set", lambda: (cache.set(key, 1, args["ttl"]), cache.get(key))[1]),
            ("incr", lambda: cache.incr(key)),
            ("get", lambda: cache.get(key)),
            ("delete", lambda: (cache.delete(key), cache.get(key))[1]),
        )
        for name, step in steps:
            out["stage"] = name
            start = time.monotonic()
            out["values"][name] = step()
            lap(name, start)
    out["stage"] = "done"
except BaseException as exc:
    out["error"] = {"types": [c.__name__ for c in type(exc).__mro__], "message": str(exc)[:500]}
    if cache is not None and out["stage"] in ("incr", "get"):
        try:
            cache.delete(args["key"])
        except Exception:
            pass
print(json.dumps(out, default=repr))
"""

# Values read back after set, incr, get and delete (get after delete: gone).
DJANGO_EXPECTED = OrderedDict([("set", 1), ("incr", 2), ("get", 2), ("delete", None)])

SETTINGS_VARIABLE = "DJANGO_SETTINGS_MODULE"


def validate_django(params):
    require_positive(params, ("ttl", "exec_timeout"))
    require_text(params, ("container", "python", "key_prefix"))
    if params.get("settings_module") is not None:
        require_text(params, ("settings_module",))


def settings_for(params, container_env, where):
    """``(settings module, where it comes from, environment for the exec)``.

    The option wins and is set for the exec; without it the container's own DJANGO_SETTINGS_MODULE is used
    and nothing is set, as ``docker compose exec`` runs. Neither: an ``input`` failure, before anything runs.
    """
    if params.get("settings_module"):
        return params["settings_module"], "option", {SETTINGS_VARIABLE: params["settings_module"]}
    if container_env.get(SETTINGS_VARIABLE):
        return container_env[SETTINGS_VARIABLE], "container", None
    raise ProbeError(
        "input",
        "settings_module: %s sets no %s in its environment; set settings_module to the application's settings "
        "module (for example business_suite.settings.prod)" % (where, SETTINGS_VARIABLE),
    )


def parse_output(stdout):
    """The script's JSON line: the last stdout line that parses (Django may print before it)."""
    for line in reversed(stdout.strip().splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    return None


def classify_report(report):
    """Failure ``reason`` for an error the script reported."""
    error = report["error"]
    names = error["types"]
    if report["stage"] == "setup":
        return "container"  # Django itself does not start with these settings
    if {"InvalidCacheBackendError", "ImproperlyConfigured", "ImportError"} & set(names):
        return "backend"
    if "ValueError" in names:  # incr of a key the set did not store
        return "mismatch"
    return redis_connection.classify_error(names, error["message"]) or "unreachable"


def run_django(module):
    params = module.params
    validate_django(params)
    deps.require(module, "docker")
    key = "%s:%s" % (params["key_prefix"], uuid.uuid4().hex)
    args = dict(key=key, ttl=params["ttl"], timeout=params["exec_timeout"], check_mode=module.check_mode)
    where = "container %r" % params["container"]
    started = time.monotonic()
    with running_container(params["docker_host"], params["container"], params["exec_timeout"]) as container:
        settings_module, source, environment = settings_for(params, container_environment(container), where)
        argv = [params["python"], "-c", DJANGO_SCRIPT, json.dumps(args)]
        exit_code, stdout, stderr = run_in(container, argv, environment=environment, workdir=params["workdir"])
    total = elapsed_ms(started)
    used = dict(settings_module=settings_module, settings_source=source)
    report = parse_output(stdout)
    if report is None:
        detail = (stderr or stdout).strip().splitlines()[-3:]
        message = "%s: %s exited %s without a result: %s" % (where, params["python"], exit_code, " | ".join(detail))
        raise ProbeError("container", message, **used)
    latency = dict(report["timings_ms"], total=total)
    result = dict(
        mode="django", key=key, backend=report.get("backend"), values=report["values"], latency_ms=latency, **used
    )
    # A wrong backend is the first thing to say, even when the round trip also failed on it.
    expected_backend = params.get("expect_backend")
    if expected_backend and result["backend"] and result["backend"] != expected_backend:
        raise ProbeError(
            "backend", "%s: cache backend is %s, expected %s" % (where, result["backend"], expected_backend), **result
        )
    if "error" in report:
        raise ProbeError(
            classify_report(report),
            "%s: cache %s failed: %s: %s"
            % (where, report["stage"], report["error"]["types"][0], report["error"]["message"]),
            **result,
        )
    if module.check_mode:
        result["msg"] = "check mode: read the cache backend %s (%s from the %s); the round trip was skipped" % (
            result["backend"],
            settings_module,
            source,
        )
        return result
    problems = mismatches(DJANGO_EXPECTED, result["values"])
    if problems:
        raise ProbeError(
            "mismatch",
            "%s: %s: %s (IGNORE_EXCEPTIONS may hide the error)" % (where, result["backend"], "; ".join(problems)),
            **result,
        )
    result["msg"] = "%s: %s set/incr/get/delete round trip ok in %.1f ms (%s from the %s)" % (
        where,
        result["backend"],
        total,
        settings_module,
        source,
    )
    return result
