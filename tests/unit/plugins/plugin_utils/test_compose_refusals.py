"""Every refusal of the compose edits: raised before anything is produced, naming the service/key
and what to set or change."""

from __future__ import annotations

import builtins

import pytest

from ansible_collections.revisbali.business_suite.plugins.plugin_utils import compose_yaml
from ansible_collections.revisbali.business_suite.plugins.plugin_utils.compose_edit import (
    ComposeEditError,
    to_memcached,
    to_redis,
)

REDIS = {"container_name": "bs-redis", "image": "redis:7-alpine", "volumes": ["redis_data:/data"]}
MEMCACHED = {"container_name": "memcached", "image": "bitnami/memcached:latest"}
APPS = "  bs-core:\n    image: a\n    depends_on: [memcached]\n  bs-worker:\n    image: a\n"


def refused(match, text, edit=to_redis, **options):
    options.setdefault(
        "redis_service" if edit is to_redis else "memcached_service", REDIS if edit is to_redis else MEMCACHED
    )
    with pytest.raises(ComposeEditError, match=match):
        edit(text, **options)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("services:\n  a: [\n", r"does not parse as YAML \(line 3\)"),
        ("services:\n\tmemcached: {}\n", r"does not parse as YAML \(line 2\)"),
        ("- a\n- b\n", r"is not a mapping of top-level keys"),
        ("", r"is not a mapping of top-level keys"),
        ("volumes: {}\n", r"has no services: mapping"),
        ("services: [a, b]\n", r"services: is not a mapping"),
        ("services:\n  memcached: memcached:1.6\n", r"service 'memcached' is not a mapping"),
        ("a: 1\n---\nb: 2\n", r"does not parse as YAML \(line 2\)"),
    ],
)
def test_files_that_are_not_compose_files(text, match):
    refused(match, text)
    refused(match, text, edit=to_memcached)


def test_a_duplicate_key_is_named_without_its_values():
    text = "services:\n  memcached:\n    image: x\n"
    text += "  bs-core:\n    environment:\n      DB_PASS: hunter2\n      DB_PASS: hunter3\n"
    with pytest.raises(ComposeEditError) as exc:
        to_redis(text, redis_service=REDIS)
    assert "duplicate key 'DB_PASS'" in str(exc.value)
    assert "line 7" in str(exc.value)
    assert "hunter" not in str(exc.value)


@pytest.mark.parametrize(
    ("service", "match"),
    [
        ("  cache:\n    image: bitnami/memcached:1.6.38\n",
         r"no service 'memcached', but service 'cache' runs image bitnami/memcached:1.6.38; "
         r"set redis_cutover_memcached_service_name: cache"),
        ("  cache:\n    image: docker.io/library/memcached@sha256:abc\n",
         r"service 'cache' runs image docker.io/library/memcached"),
        ("  cache:\n    image: tiny\n    container_name: memcached\n",
         r"service 'cache' has container_name memcached; set redis_cutover_memcached_service_name: cache"),
    ],
)  # fmt: skip
def test_memcached_under_another_name_is_named(service, match):
    refused(match, "services:\n" + service + APPS.replace("[memcached]", "[cache]"))


def test_a_file_with_neither_memcached_nor_redis():
    refused(r"neither a memcached service 'memcached' nor a redis service 'redis'.*memcached_service_name",
            "services:\n  bs-core:\n    image: a\n  bs-worker:\n    image: a\n")  # fmt: skip
    refused(r"neither a redis service 'redis' nor a memcached service 'memcached': nothing to roll back",
            "services:\n  bs-core:\n    image: a\n", edit=to_memcached)  # fmt: skip


def test_a_customised_memcached_service_is_refused_naming_the_keys():
    text = 'services:\n  memcached:\n    image: memcached\n    ports: ["11211:11211"]\n    volumes: [m:/m]\n' + APPS
    refused(r"service 'memcached' has ports, volumes, which the role's memcached definition does not hold: a rollback "
            r"without a snapshot could not put them back", text)  # fmt: skip
    # Keys the role's memcached definition holds with the same value can be put back: accepted.
    same = dict(MEMCACHED, ports=["11211:11211"], volumes=["m:/m"])
    assert to_redis(text, redis_service=REDIS, memcached_service=same).changes
    refused(r"has volumes,", text, memcached_service=dict(same, volumes=["other:/m"]))


def test_the_known_memcached_keys_are_accepted():
    known = (
        "    container_name: memcached\n    restart: always\n    hostname: mc\n    labels: [a=b]\n    expose: [11211]\n"
    )
    known += "    command: [memcached, -m, '64']\n    logging: {driver: local}\n    deploy: {replicas: 1}\n"
    known += "    environment: {A: b}\n    healthcheck: {disable: true}\n    networks: [back]\n"
    assert to_redis("services:\n  memcached:\n    image: memcached\n" + known + APPS, redis_service=REDIS).changes


@pytest.mark.parametrize(
    "field", ["image: redis:6\n    container_name: bs-redis", "image: redis:7-alpine\n    container_name: r"]
)
def test_an_existing_different_redis_service_needs_take_over(field):
    text = "services:\n  memcached:\n    image: memcached\n  redis:\n    " + field + "\n" + APPS
    refused(r"service 'redis' already exists with image .* set redis_cutover_take_over_redis: true", text)
    result = to_redis(text, redis_service=REDIS, take_over_redis=True)
    assert "removed service redis (replaced by the cutover's Redis)" in result.changes


def test_a_service_holding_the_redis_container_name():
    text = (
        "services:\n  memcached:\n    image: memcached\n  kv:\n    image: redis\n    container_name: bs-redis\n" + APPS
    )
    refused(r"service 'kv' holds container_name bs-redis, which the redis service needs.*redis_cutover_take_over_redis",
            text)  # fmt: skip
    refused(r"service 'bs-worker': depends_on names 'kv', which the cutover replaces it",
            text.replace("  bs-worker:\n    image: a\n", "  bs-worker:\n    image: a\n    depends_on: [kv]\n"),
            take_over_redis=True)  # fmt: skip


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ("volumes_from: [memcached]", "volumes_from"),
        ("volumes_from: ['container:memcached:ro']", "volumes_from"),
        ("network_mode: service:memcached", "network_mode"),
        ("network_mode: container:memcached", "network_mode"),
        ("pid: service:memcached", "pid"),
        ("ipc: service:memcached", "ipc"),
        ("extends: {service: memcached}", "extends"),
        ("command: wait-for memcached:11211 -- run", "command"),
        ("entrypoint: [sh, -c, 'nc -z memcached 11211']", "entrypoint"),
        ("healthcheck: {test: [CMD, nc, -z, memcached, '11211']}", "healthcheck"),
    ],
)
def test_references_that_cannot_be_removed_safely(entry, field):
    text = "services:\n  memcached:\n    image: memcached\n  tools:\n    image: t\n    " + entry + "\n" + APPS
    refused(
        r"service 'tools': %s .* 'memcached', which the cutover removes it; .*change it by hand first" % field, text
    )


def test_an_anchor_defined_in_memcached_and_used_elsewhere():
    text = (
        "services:\n  memcached:\n    image: memcached\n    logging: &log {driver: local}\n"
        "  bs-core:\n    image: a\n    logging: *log\n  bs-worker:\n    image: a\n"
    )
    refused(r"service 'memcached' defines YAML anchor &log, which service 'bs-core' also uses: the edit cannot remove "
            r"it without breaking that", text)  # fmt: skip
    whole = "services:\n  memcached: &mc\n    image: memcached\n  other:\n    <<: *mc\n" + APPS
    refused(r"defines YAML anchor &mc, which service 'other' also uses", whole)


def test_an_anchor_used_by_memcached_alone_is_fine():
    text = "x-log: &log {driver: local}\nservices:\n  memcached:\n    image: memcached\n    logging: *log\n" + APPS
    result = to_redis(text, redis_service=REDIS)
    assert result.text.startswith("x-log: &log {driver: local}\n")


@pytest.mark.parametrize(
    "text",
    [
        # depends_on shared through an anchor by two services
        "x-deps: &deps [memcached, db]\nservices:\n  memcached:\n    image: m\n  db:\n    image: p\n"
        "  bs-core:\n    image: a\n    depends_on: *deps\n  bs-worker:\n    image: a\n    depends_on: *deps\n",
        # depends_on brought in by a merge key
        "x-app: &app\n  depends_on: [memcached]\nservices:\n  memcached:\n    image: m\n"
        "  bs-core:\n    <<: *app\n    image: a\n  bs-worker:\n    image: a\n",
        # an environment entry brought in by a merge key
        "x-env: &env\n  MEMCACHED_HOST: memcached\nservices:\n  memcached:\n    image: m\n"
        "  bs-core:\n    image: a\n    environment:\n      <<: *env\n      A: b\n  bs-worker:\n    image: a\n",
    ],
)
def test_references_shared_through_anchors_or_merge_keys(text):
    refused(r"service 'bs-core': (depends_on|environment) comes from a YAML anchor or merge key \(<<\) that other "
            r"entries share.*write (depends_on|environment) out in service 'bs-core'", text)  # fmt: skip


def test_a_dependent_whose_depends_on_is_shared_but_names_no_memcached():
    text = "x-deps: &deps [db]\nservices:\n  memcached:\n    image: m\n  db:\n    image: p\n"
    text += "  bs-core:\n    image: a\n    depends_on: *deps\n  bs-worker:\n    image: a\n    depends_on: *deps\n"
    refused(r"service 'bs-core': depends_on comes from a YAML anchor", text)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"dependents": ("bs-core", "bs-scheduler")}, r"dependents: service 'bs-scheduler' is not in the file"),
        ({"app_image": "x", "app_services": ("bs-api",)}, r"app_services: service 'bs-api' is not in the file"),
        ({"worker_stop_grace_period": "1m", "worker_service": "w"}, r"worker_service: service 'w' is not in the file"),
        (
            {"redis_service": {"image": "redis"}},
            r"redis_service must be a mapping with at least image and container_name",
        ),
        ({"redis_service": "redis:7"}, r"redis_service must be a mapping"),
    ],
)
def test_options_naming_what_is_not_there(options, match):
    refused(match, "services:\n  memcached:\n    image: m\n" + APPS, **options)


def test_a_redis_volume_the_file_cannot_declare():
    text = "services:\n  memcached:\n    image: m\n" + APPS
    other_volume = dict(REDIS, volumes=["cache_data:/data"])
    refused(r"the Redis service mounts volume cache_data, which the file does not declare; set the Redis volume "
            r"\(redis_cutover_redis_volume\) to cache_data", text, redis_service=other_volume)  # fmt: skip
    refused(r"the top-level volumes: is not a mapping", text + "volumes: [a]\n")


def test_rollback_refusals():
    redis = "services:\n  redis:\n    image: redis:7\n    container_name: %s\n  bs-core:\n    depends_on: [redis]\n"
    refused(r"service 'redis' has container_name other, not bs-redis: it is not the cutover's Redis", redis % "other",
            edit=to_memcached)  # fmt: skip
    scheduler = redis % "bs-redis" + "  bs-scheduler:\n    depends_on: [redis]\n"
    refused(r"service 'bs-scheduler': depends_on names redis, which the rollback removes: remove the reference first, "
            r"or add bs-scheduler to redis_dependents", scheduler, edit=to_memcached)  # fmt: skip
    assert to_memcached(scheduler, memcached_service=MEMCACHED, redis_dependents=("bs-core", "bs-scheduler")).changes
    holder = redis % "bs-redis" + "  old-cache:\n    container_name: memcached\n"
    refused(r"service 'old-cache' holds container_name memcached, which the memcached service needs", holder,
            edit=to_memcached)  # fmt: skip
    refused(r"service 'tools': network_mode shares the namespace of 'redis'",
            redis % "bs-redis" + "  tools:\n    network_mode: service:redis\n", edit=to_memcached)  # fmt: skip


def test_without_ruamel_the_error_says_how_to_install_it(monkeypatch):
    real_import = builtins.__import__

    def no_ruamel(name, *args, **kwargs):
        if name.startswith("ruamel"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    compose_yaml._ruamel.cache_clear()
    monkeypatch.setattr(builtins, "__import__", no_ruamel)
    try:
        with pytest.raises(
            ComposeEditError,
            match=r"^ruamel\.yaml is needed on the Ansible controller: pip install ruamel\.yaml==0\.19\.1$",
        ):
            to_redis("services: {}\n", redis_service=REDIS)
    finally:
        monkeypatch.undo()
        compose_yaml._ruamel.cache_clear()
