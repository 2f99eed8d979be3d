#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: redis_smoke
short_description: Prove a cache works by writing, incrementing, reading and deleting a key
version_added: 0.1.0
description:
  - V(direct) mode talks to Redis itself. It writes a unique key with a TTL, runs C(INCR), C(GET), an C(EVAL) of the
    kind django-redis's C(cache.incr) runs, and C(DEL), and compares every value read back. It also reports the
    server facts a cache depends on and can assert on them.
  - V(django) mode runs the same round trip inside the application container, through Django's configured default
    cache (C(django.core.cache.caches['default'])), and reports which backend is configured. It works on any backend,
    so it verifies a memcached rollback as well as a Redis cutover.
  - A value read back that differs from the one written is a failure, even when no error was raised. With
    django-redis C(IGNORE_EXCEPTIONS) an outage reads back as V(None).
  - The module leaves nothing behind (the key is deleted, and expires anyway), so it never reports a change.
  - Every failure carries RV(reason), so a playbook can tell a wrong password from a wrong backend.
extends_documentation_fragment:
  - revisbali.business_suite.attributes
  - revisbali.business_suite.redis
attributes:
  check_mode:
    support: full
    details:
      - In check mode V(direct) mode only connects and reads C(INFO) (assertions still apply), and V(django) mode only
        reads the configured backend (O(expect_backend) still applies). No key is written.
  diff_mode:
    support: none
  idempotent:
    support: full
    details:
      - The key it writes is removed again; RV(ignore:changed) is always V(false).
options:
  mode:
    description:
      - V(direct) connects to Redis with the connection options.
      - V(django) runs the round trip in O(container) through the application's cache settings; the connection
        options are not used.
    type: str
    choices: [direct, django]
    default: direct
  key_prefix:
    description:
      - The key is O(key_prefix), a colon and a random UUID, so runs never collide.
    type: str
    default: redis_smoke
  ttl:
    description:
      - Seconds the key lives if the module is interrupted before it deletes it; greater than 0.
    type: int
    default: 60
  expect_maxmemory_policy:
    description:
      - V(direct) mode. Fail with RV(reason=assertion) unless C(maxmemory-policy) is this, for example V(allkeys-lru).
    type: str
  min_free_memory:
    description:
      - V(direct) mode. Fail with RV(reason=assertion) when C(maxmemory) minus C(used_memory) is below this.
      - Bytes, or a size with Redis' units (V(k)/V(m)/V(g) are powers of 1000, V(kb)/V(mb)/V(gb) of 1024), e.g. V(64mb).
      - With C(maxmemory 0) Redis sets no ceiling, so there is nothing to compare; the module warns and does not fail.
    type: raw
  min_version:
    description:
      - V(direct) mode. Fail with RV(reason=assertion) when the server is older, e.g. V(7.0).
    type: str
  container:
    description:
      - V(django) mode. Name or ID of the running application container.
    type: str
    default: bs-core
  settings_module:
    description:
      - V(django) mode. The Django settings module the check runs with.
      - When not set, nothing is set and the check runs in the container's own environment, as
        C(docker compose exec bs-core python manage.py shell) does; the application image sets
        E(DJANGO_SETTINGS_MODULE) (RevisBaliCRM's sets V(business_suite.settings.prod)). The module reads it from the
        container's configuration (image C(ENV) and the run's environment) before anything runs, and fails with
        RV(reason=input) when the container has none, asking for this option.
      - When set, it is passed as E(DJANGO_SETTINGS_MODULE) and wins over the container's.
      - RV(settings_module) and RV(settings_source) say which one ran.
    type: str
  python:
    description:
      - V(django) mode. Python interpreter inside the container.
    type: str
    default: python
  workdir:
    description:
      - V(django) mode. Working directory for the check, where O(settings_module) is importable; the image's
        C(WORKDIR) when not set.
    type: str
  docker_host:
    description:
      - V(django) mode. Docker engine to talk to; E(DOCKER_HOST) of the managed host, else V(unix:///var/run/docker.sock).
    type: str
  exec_timeout:
    description:
      - V(django) mode. Seconds the check may take inside the container, greater than 0; the script also stops itself.
    type: int
    default: 30
  expect_backend:
    description:
      - V(django) mode. Fail with RV(reason=backend) unless C(CACHES['default']['BACKEND']) is this, naming both.
      - For example V(django_redis.cache.RedisCache) after a cutover,
        V(django.core.cache.backends.memcached.PyMemcacheCache) after a rollback.
    type: str
notes:
  - Needs C(redis) (V(direct) mode) or C(docker) (V(django) mode) on the managed host; the container needs only its
    application.
  - V(django) mode runs C(python -c) in the container with the container's own environment (plus
    E(DJANGO_SETTINGS_MODULE) when O(settings_module) is set) and calls C(django.setup()) itself; it does not go
    through C(manage.py), so a default that only C(manage.py) sets (C(os.environ.setdefault)) does not apply.
  - The Redis user needs C(PING), C(SET), C(INCR), C(GET), C(EVAL), C(DEL) and, for the server facts and assertions,
    C(INFO). A user without C(EVAL) fails with RV(reason=acl), as django-redis's C(cache.incr) would.
seealso:
  - module: revisbali.business_suite.pgqueuer_probe
"""

EXAMPLES = r"""
- name: Redis answers, with the memory policy the cache needs
  revisbali.business_suite.redis_smoke:
    host: 127.0.0.1
    port: 6379
    db: 1
    expect_maxmemory_policy: allkeys-lru
    min_free_memory: 64mb
    min_version: "7.0"

- name: Over TLS with a client certificate
  revisbali.business_suite.redis_smoke:
    url: "rediss://cache:{{ vault_redis_password }}@redis.internal:6380/1"
    ca_cert: /etc/ssl/redis/ca.crt
    client_cert: /etc/ssl/redis/client.crt
    client_key: /etc/ssl/redis/client.key

- name: The application's cache is django-redis and works
  revisbali.business_suite.redis_smoke:
    mode: django
    container: bs-core
    expect_backend: django_redis.cache.RedisCache
  register: cache_check

- name: The same check with a settings module other than the image's
  revisbali.business_suite.redis_smoke:
    mode: django
    container: bs-core
    settings_module: business_suite.settings.prod
    expect_backend: django_redis.cache.RedisCache

- name: Roll back when the cache is not right
  ansible.builtin.debug:
    msg: "cache check failed ({{ cache_check.reason }}): {{ cache_check.msg }}"
  when: cache_check is failed
"""

RETURN = r"""
reason:
  description:
    - Why the module failed. V(unreachable) (no connection, refused, timed out, TLS handshake), V(auth) (wrong or
      missing credentials), V(acl) (a command the cache needs is denied), V(backend) (another cache backend is
      configured, or it cannot be loaded), V(mismatch) (a value read back differs), V(assertion) (a server fact fails an
      expectation), V(container) (the container is missing, stopped, or the check could not run in it), V(input)
      (a parameter is invalid, or V(django) mode found no E(DJANGO_SETTINGS_MODULE) in the container and
      O(settings_module) is not set; nothing ran), V(dependency) (a Python library is missing on the managed host).
  returned: failure
  type: str
  sample: acl
mode:
  description: The mode that ran.
  returned: success
  type: str
  sample: direct
key:
  description: The probe key (in V(django) mode before the backend adds its own prefix and version).
  returned: always, except on input errors
  type: str
  sample: redis_smoke:0f6c4c0e8f2a4a0f9a55c2f3d0e7b1aa
values:
  description:
    - What each step returned. V(direct) mode, V(set), V(incr), V(get), V(eval), V(delete) expected
      V(true), V(2), V("2"), V(1), V(1). V(django) mode, the value read back after C(set), C(incr), C(get)
      and C(delete), expected V(1), V(2), V(2), V(null).
    - Empty in check mode.
  returned: always, except on input errors
  type: dict
  sample: {"set": true, "incr": 2, "get": "2", "eval": 1, "delete": 1}
latency_ms:
  description:
    - Milliseconds per step. V(direct) mode, V(connect) (first command, including connecting and authenticating),
      V(info), V(set), V(incr), V(get), V(eval), V(delete), V(total). V(django) mode, V(setup) (Django start), the
      cache steps, and V(total) (the whole exec, as seen from the module).
  returned: always, except on input errors
  type: dict
  sample:
    {"connect": 1.02, "info": 0.31, "set": 0.2, "incr": 0.15, "get": 0.14, "eval": 0.2, "delete": 0.15, "total": 2.5}
server:
  description:
    - V(direct) mode. C(INFO) facts; empty when the user may not run C(INFO).
    - V(free_memory) is C(maxmemory) minus C(used_memory), V(null) when C(maxmemory) is 0 (no limit).
  returned: success, in direct mode
  type: dict
  sample:
    redis_version: 7.0.15
    role: master
    maxmemory: 209715200
    maxmemory_policy: allkeys-lru
    used_memory: 1048576
    free_memory: 208666624
settings_module:
  description: V(django) mode. The E(DJANGO_SETTINGS_MODULE) the check ran with.
  returned: django mode, once the container was found running
  type: str
  sample: business_suite.settings.prod
settings_source:
  description:
    - V(django) mode. Where RV(settings_module) came from, V(container) (the container's own environment, nothing set)
      or V(option) (O(settings_module), set for the check).
  returned: django mode, once the container was found running
  type: str
  sample: container
backend:
  description: V(django) mode. The configured C(CACHES['default']['BACKEND']).
  returned: django mode, when Django started
  type: str
  sample: django_redis.cache.RedisCache
msg:
  description: One line saying what was checked and how it went.
  returned: always
  type: str
"""

from ansible_collections.revisbali.business_suite.plugins.module_utils import redis_smoke_checks
from ansible_collections.revisbali.business_suite.plugins.module_utils.errors import InputError
from ansible_collections.revisbali.business_suite.plugins.module_utils.probe_module import ProbeModule
from ansible_collections.revisbali.business_suite.plugins.module_utils.redis_connection import (
    REDIS_CONNECTION_SPEC,
    REDIS_MUTUALLY_EXCLUSIVE,
)

# Options that only one mode reads: setting them for the other mode is a mistake to report.
ONLY_FOR_MODE = dict(
    direct=(
        "url",
        "username",
        "password",
        "tls",
        "ca_cert",
        "client_cert",
        "client_key",
        "expect_maxmemory_policy",
        "min_free_memory",
        "min_version",
    ),
    django=("expect_backend", "workdir", "settings_module"),
)


def run(module):
    mode = module.params["mode"]
    for other, names in ONLY_FOR_MODE.items():
        for name in names:
            if other != mode and module.params.get(name) is not None:
                raise InputError(name, "only applies to mode=%s" % other)
    if mode == "django":
        return redis_smoke_checks.run_django(module)
    return redis_smoke_checks.run_direct(module)


def main():
    argument_spec = dict(
        mode=dict(type="str", choices=["direct", "django"], default="direct"),
        key_prefix=dict(type="str", default="redis_smoke", no_log=False),
        ttl=dict(type="int", default=60),
        expect_maxmemory_policy=dict(type="str"),
        min_free_memory=dict(type="raw"),
        min_version=dict(type="str"),
        container=dict(type="str", default="bs-core"),
        settings_module=dict(type="str"),
        python=dict(type="str", default="python"),
        workdir=dict(type="str"),
        docker_host=dict(type="str"),
        exec_timeout=dict(type="int", default=30),
        expect_backend=dict(type="str"),
    )
    argument_spec.update(REDIS_CONNECTION_SPEC)
    module = ProbeModule(
        argument_spec=argument_spec,
        mutually_exclusive=REDIS_MUTUALLY_EXCLUSIVE,
        supports_check_mode=True,
    )
    module.params["docker_host"] = module.params["docker_host"] or redis_smoke_checks.docker_host_default()
    module.run(run)


if __name__ == "__main__":
    main()
