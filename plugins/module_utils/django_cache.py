# -*- coding: utf-8 -*-
# Copyright (c) 2026, RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""redis_smoke's django mode: the cache round trip through the application's own settings,
run inside its container, so it sees exactly what the application sees."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import time
import uuid
from collections import OrderedDict

from ansible_collections.revisbali.business_suite.plugins.module_utils import deps, redis_connection
from ansible_collections.revisbali.business_suite.plugins.module_utils.container_exec import (
    container_environment,
    run_in,
    running_container,
)
from ansible_collections.revisbali.business_suite.plugins.module_utils.probe import (
    ProbeError,
    elapsed_ms,
    mismatches,
    require_positive,
    require_text,
)

# Runs in the container's Python with DJANGO_SETTINGS_MODULE set (by the container's own environment or by the
# module); argv[1] is a JSON object
# (key, ttl, timeout, check_mode). Prints one JSON line. Reads back every value, because with
# django-redis IGNORE_EXCEPTIONS a failing cache returns None instead of raising.
SCRIPT = r"""
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
EXPECTED = OrderedDict([("set", 1), ("incr", 2), ("get", 2), ("delete", None)])


SETTINGS_VARIABLE = "DJANGO_SETTINGS_MODULE"


def validate(params):
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


def classify(report):
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


def run(module):
    params = module.params
    validate(params)
    deps.require(module, "docker")
    key = "%s:%s" % (params["key_prefix"], uuid.uuid4().hex)
    args = dict(key=key, ttl=params["ttl"], timeout=params["exec_timeout"], check_mode=module.check_mode)
    where = "container %r" % params["container"]
    started = time.monotonic()
    with running_container(params["docker_host"], params["container"], params["exec_timeout"]) as container:
        settings_module, source, environment = settings_for(params, container_environment(container), where)
        argv = [params["python"], "-c", SCRIPT, json.dumps(args)]
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
            classify(report),
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
    problems = mismatches(EXPECTED, result["values"])
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
