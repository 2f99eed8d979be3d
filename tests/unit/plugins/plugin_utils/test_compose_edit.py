"""to_redis / to_memcached change exactly the cutover's items and keep every other line of the file."""

from __future__ import annotations

import pytest

from ansible_collections.revisbali.business_suite.plugins.plugin_utils.compose_edit import (
    ComposeEditError,
    to_memcached,
    to_redis,
)

from .compose_text import changed_lines, load, service_blocks, top_blocks

REDIS = {
    "container_name": "bs-redis",
    "image": "redis:7-alpine",
    "restart": "unless-stopped",
    "command": ["redis-server", "--save", "300", "10"],
    "healthcheck": {"test": ["CMD", "redis-cli", "ping"], "interval": "10s"},
    "volumes": ["redis_data:/data"],
}
MEMCACHED = {"container_name": "memcached", "image": "bitnami/memcached:latest", "restart": "unless-stopped"}
REDIS_BLOCK = [
    "  redis:",
    "    container_name: bs-redis",
    "    image: redis:7-alpine",
    "    restart: unless-stopped",
    "    command:",
    "      - redis-server",
    "      - --save",
    '      - "300"',
    '      - "10"',
    "    healthcheck:",
    "      test:",
    "        - CMD",
    "        - redis-cli",
    "        - ping",
    "      interval: 10s",
    "    volumes:",
    "      - redis_data:/data",
]

# Anchors, merge keys, comments (one a commented-out service), quoting, flow and block styles, the
# three depends_on forms, links and environment in both forms; no top-level volumes.
BASE = """\
x-logging: &logging
  driver: json-file
  options:
    max-size: 10m

x-app-env: &app-env
  DB_HOST: db

services:
  db:
    image: postgres:18
    logging: *logging
    volumes:
      - type: bind
        source: ${DB_PATH}
        target: /var/lib/postgresql

  # cache for Django
  memcached:
    container_name: memcached
    image: bitnami/memcached:latest
    restart: unless-stopped  # keep it up
    logging: *logging

  bs-core:
    image: bs-app:old
    build:
      context: ./backend/
      target: web
    depends_on:
      - memcached
      - db
    environment:
      <<: *app-env
      MEMCACHED_LOCATION: memcached:11211
      CACHE_BACKEND: django.core.cache.backends.memcached.PyMemcacheCache
    profiles: [app]
    labels:
      com.example.role: "web"   # quoted on purpose

  bs-worker:
    image: "bs-app:old"
    depends_on:
      db:
        condition: service_healthy
      memcached:
        condition: service_started
    environment:
      - MEMCACHED_HOST=memcached
      - DB_HOST=db
    links:
      - memcached:cache
    command: pgq run business_suite.pgqueue:factory

  # pgadmin:
  #   image: dpage/pgadmin4

  bs-frontend:
    image: bs-frontend:web
    depends_on: [bs-core, memcached]
    ports:
      - "4000:4000"

networks:
  dockernet:
    external: true
"""


def rollout(text, **options):
    return to_redis(text, redis_service=options.pop("redis_service", REDIS), **options)


def test_rollout_changes_exactly_the_cutover_items():
    result = rollout(BASE, app_image="bs-app:web", worker_stop_grace_period="120s")
    removed, added = changed_lines(BASE, result.text)
    assert removed == [
        "  memcached:",
        "    container_name: memcached",
        "    image: bitnami/memcached:latest",
        "    restart: unless-stopped  # keep it up",
        "    logging: *logging",
        "    image: bs-app:old",
        "      - memcached",
        "      MEMCACHED_LOCATION: memcached:11211",
        '    image: "bs-app:old"',
        "      memcached:",
        "        condition: service_started",
        "      - MEMCACHED_HOST=memcached",
        "    links:",
        "      - memcached:cache",
        "    depends_on: [bs-core, memcached]",
    ]
    assert added == [
        *REDIS_BLOCK,
        "    image: bs-app:web",
        "      - redis",
        '    image: "bs-app:web"',  # the file's quoting kept
        "      redis:",
        "        condition: service_healthy",  # mapping form; Redis has a healthcheck
        "    stop_grace_period: 120s",
        "    depends_on: [bs-core]",
        "",
        "volumes:",
        "  redis_data:",
    ]
    assert result.changes == [
        "removed service memcached",
        "added service redis (bs-redis)",
        "declared volume redis_data",
        "bs-core: environment MEMCACHED_LOCATION removed",
        "bs-worker: links memcached:cache removed",
        "bs-worker: environment MEMCACHED_HOST removed",
        "bs-frontend: depends_on memcached removed",
        "bs-core: depends_on memcached -> redis",
        "bs-worker: depends_on memcached -> redis (service_healthy)",
        "bs-core: image bs-app:old -> bs-app:web",
        "bs-worker: image bs-app:old -> bs-app:web",
        "bs-worker: stop_grace_period 120s set (the worker drains in-flight jobs on SIGTERM)",
    ]


def test_untouched_services_and_sections_keep_every_line():
    result = rollout(BASE)
    before, after = service_blocks(BASE), service_blocks(result.text)
    assert after["db"] == before["db"]  # incl. the comment above memcached, which stays above redis
    assert list(after) == ["db", "redis", "bs-core", "bs-worker", "bs-frontend"]  # redis where memcached was
    for key in ("x-logging", "x-app-env"):
        assert top_blocks(result.text)[key] == top_blocks(BASE)[key]
    # The new top-level volumes: is set off by a blank line, as the file's other sections are.
    assert top_blocks(result.text)["networks"] == [*top_blocks(BASE)["networks"], ""]
    # The commented-out service after bs-worker and the blank lines between services are where they were.
    assert after["bs-worker"][-3:] == ["  # pgadmin:", "  #   image: dpage/pgadmin4", ""]
    assert after["redis"][-1] == ""


def test_rollout_is_idempotent():
    once = rollout(BASE, app_image="bs-app:web", worker_stop_grace_period="120s")
    again = rollout(once.text, app_image="bs-app:web", worker_stop_grace_period="120s")
    assert again.changes == []
    assert again.text is once.text


def test_file_already_on_redis_only_gets_the_always_set_items():
    on_redis = rollout(BASE).text
    user_redis = on_redis.replace("      interval: 10s\n", "      interval: 30s  # ours\n")
    result = rollout(user_redis, app_image="bs-app:web", worker_stop_grace_period="90s")
    assert result.changes == [
        "bs-core: image bs-app:old -> bs-app:web",
        "bs-worker: image bs-app:old -> bs-app:web",
        "bs-worker: stop_grace_period 90s set (the worker drains in-flight jobs on SIGTERM)",
    ]
    assert service_blocks(result.text)["redis"] == service_blocks(user_redis)["redis"]  # the user's, kept
    assert rollout(user_redis).changes == []


def test_worker_stop_grace_period_is_only_set_when_absent():
    text = BASE.replace("    command: pgq run", "    stop_grace_period: 30s\n    command: pgq run")
    result = rollout(text, worker_stop_grace_period="120s")
    assert not any("stop_grace_period" in change for change in result.changes)
    assert load(result.text)["services"]["bs-worker"]["stop_grace_period"] == "30s"


@pytest.mark.parametrize(
    ("depends", "expected"),
    [
        ("    depends_on:\n      - db\n", ["db", "redis"]),  # list: appended
        ("    depends_on: [db]\n", ["db", "redis"]),
        ("    depends_on:\n      db:\n        condition: service_started\n",
         {"db": {"condition": "service_started"}, "redis": {"condition": "service_healthy"}}),
        ("    depends_on: {db: {condition: service_started}}\n",
         {"db": {"condition": "service_started"}, "redis": {"condition": "service_healthy"}}),
        ("", ["redis"]),  # none: created, list form
        ("    depends_on:\n      - redis\n", ["redis"]),  # already there
    ],
)  # fmt: skip
def test_dependents_get_redis_in_the_form_they_use(depends, expected):
    text = (
        "services:\n  memcached:\n    image: memcached:1.6\n"
        "  bs-core:\n    image: bs-app:web\n" + depends + "  bs-worker:\n    image: bs-app:web\n"
    )
    result = rollout(text)
    assert load(result.text)["services"]["bs-core"]["depends_on"] == expected
    assert load(result.text)["services"]["bs-worker"]["depends_on"] == ["redis"]


def test_mapping_form_waits_for_started_when_redis_has_no_healthcheck():
    text = "services:\n  memcached:\n    image: memcached\n"
    text += "  bs-core:\n    depends_on:\n      memcached: {condition: service_started}\n"
    plain_redis = {"container_name": "bs-redis", "image": "redis:7-alpine"}
    result = to_redis(text, redis_service=plain_redis, dependents=("bs-core",))
    assert result.text.endswith("    depends_on:\n      redis: {condition: service_started}\n")


def test_a_depends_on_that_only_named_memcached_goes_away():
    text = (
        "services:\n  memcached:\n    image: memcached\n"
        "  tools:\n    image: busybox\n    depends_on:\n      memcached:\n        condition: service_started\n"
        "    command: sleep 1\n"
    )
    result = rollout(text, dependents=())
    assert load(result.text)["services"]["tools"] == {"image": "busybox", "command": "sleep 1"}
    assert "tools: depends_on memcached removed" in result.changes


def test_references_in_links_and_environment_are_dropped_others_kept():
    text = """\
services:
  memcached:
    image: memcached
    hostname: cache-host
  app:
    image: app
    links: [memcached, "memcached:mc", db]
    external_links:
      - memcached:legacy
      - other:o
    environment:
      A: memcached
      B: pymemcache://memcached:11211
      C: ${MEMCACHED_HOST:-memcached}
      D: cache-host:11211
      KEEP1: bs-memcached:11211
      KEEP2: django.core.cache.backends.memcached.PyMemcacheCache
      KEEP3: ~
  app2:
    image: app
    environment:
      - X=memcached:11211
      - KEEP=memcached_prefix
      - PASSTHROUGH
"""
    result = rollout(text, dependents=(), worker_stop_grace_period=None)
    services = load(result.text)["services"]
    assert services["app"]["links"] == ["db"]
    assert services["app"]["external_links"] == ["other:o"]
    assert services["app"]["environment"] == {
        "KEEP1": "bs-memcached:11211",
        "KEEP2": "django.core.cache.backends.memcached.PyMemcacheCache",
        "KEEP3": None,
    }
    assert "      KEEP3: ~" in result.text  # a null keeps its spelling
    assert services["app2"]["environment"] == ["KEEP=memcached_prefix", "PASSTHROUGH"]
    assert "app: environment D removed" in result.changes  # the memcached service's hostname counts too


@pytest.mark.parametrize(
    ("volumes", "expected_tail"),
    [
        ("", "\nvolumes:\n  redis_data:\n"),  # no top-level volumes: created
        ("volumes:\n  pgdata:\n", "volumes:\n  pgdata:\n  redis_data:\n"),  # appended
        ("volumes:\n  redis_data:\n    name: kept\n", "volumes:\n  redis_data:\n    name: kept\n"),  # declared
        ("volumes:\n", "volumes:\n  redis_data:\n"),  # empty section
    ],
)
def test_redis_volume_is_declared_once(volumes, expected_tail):
    text = "services:\n  memcached:\n    image: memcached\n  bs-core:\n    image: a\n  bs-worker:\n    image: a\n"
    result = rollout(text + volumes)
    assert result.text.endswith(expected_tail)
    assert result.text.count("redis_data:\n") == 1


def test_app_image_is_set_on_every_app_service():
    result = rollout(
        BASE, app_image="registry.example/bs-app:2.0", app_services=("bs-core", "bs-worker", "bs-frontend")
    )
    services = load(result.text)["services"]
    assert {name: services[name]["image"] for name in ("bs-core", "bs-worker", "bs-frontend")} == dict.fromkeys(
        ("bs-core", "bs-worker", "bs-frontend"), "registry.example/bs-app:2.0"
    )


FOUR_SPACES = """\
services:
    memcached:
        image: memcached
        networks:
            - back
    bs-core:
        image: app
        depends_on:
            - memcached
        volumes:
            - ./a:/a
    bs-worker:
        image: app
        command:
            - pgq
            - run
networks:
    back: {}
"""
FLUSH_DASHES = """\
services:
  memcached:
    image: memcached
  bs-core:
    image: app
    depends_on:
    - memcached
    volumes:
    - ./a:/a
  bs-worker:
    image: app
"""


@pytest.mark.parametrize(
    ("text", "redis_first_lines", "dependency_line"),
    [
        (FOUR_SPACES, ["    redis:", "        container_name: bs-redis"], "            - redis"),
        (FLUSH_DASHES, ["  redis:", "    container_name: bs-redis"], "    - redis"),
    ],
)
def test_the_file_indentation_is_kept_and_used_for_new_lines(text, redis_first_lines, dependency_line):
    result = rollout(text)
    removed, added = changed_lines(text, result.text)
    assert added[:2] == redis_first_lines
    assert dependency_line in added
    assert [line for line in removed if "memcached" not in line] == (
        [] if text is FLUSH_DASHES else ["        networks:", "            - back"]
    )
    volumes_line = "            - redis_data:/data" if text is FOUR_SPACES else "    - redis_data:/data"
    assert volumes_line in added


def test_memcached_as_first_and_as_last_service():
    first = "services:\n  memcached:\n    image: memcached\n\n  bs-core:\n    image: a\n\n  bs-worker:\n    image: a\n"
    last = "services:\n  bs-core:\n    image: a\n\n  bs-worker:\n    image: a\n\n"
    last += "  memcached:\n    image: memcached\n# end\n"
    assert list(service_blocks(rollout(first).text)) == ["redis", "bs-core", "bs-worker"]
    result = rollout(last)
    assert list(service_blocks(result.text)) == ["bs-core", "bs-worker", "redis"]
    # The file's closing comment stays last; no blank line before volumes:, as the file has none there.
    assert result.text.endswith("      - redis_data:/data\nvolumes:\n  redis_data:\n# end\n")


def test_crlf_no_final_newline_document_start_and_leading_comments_survive():
    text = (
        "# managed by hand\n%YAML 1.2\n---\nservices:\n  memcached:\n    image: memcached\n  bs-core:\n    image: a\n"
    )
    text += "  bs-worker:\n    image: a"
    result = rollout(text.replace("\n", "\r\n"))
    assert result.text.startswith("# managed by hand\r\n%YAML 1.2\r\n---\r\nservices:\r\n  redis:\r\n")
    assert "\n" not in result.text.replace("\r\n", "")
    assert not result.text.endswith("\n")


def test_rollback_reverses_the_rollout():
    text = """\
services:
  db:
    image: postgres:18  # pinned

  memcached:
    container_name: memcached
    image: bitnami/memcached:latest
    restart: unless-stopped

  bs-core:
    depends_on:
      - memcached
      - db
    image: bs-app:web

  bs-worker:
    depends_on: {db: {condition: service_healthy}}
    image: bs-app:web
"""
    out = rollout(text, worker_stop_grace_period=None)
    back = to_memcached(out.text, memcached_service=MEMCACHED)
    assert back.text == text
    assert back.changes == [
        "removed service redis",
        "added service memcached (memcached)",
        "bs-worker: depends_on redis removed",
        "bs-core: depends_on redis -> memcached",
        "removed volume declaration redis_data (no service uses it)",
    ]
    assert to_memcached(back.text, memcached_service=MEMCACHED).changes == []


def test_rollback_keeps_a_volume_declaration_another_service_still_mounts():
    text = rollout(BASE).text.replace(
        "  bs-frontend:\n", "  backup:\n    image: b\n    volumes: [redis_data:/r]\n  bs-frontend:\n"
    )
    back = to_memcached(text, memcached_service=MEMCACHED)
    assert "redis_data" in load(back.text)["volumes"]


def test_rollback_mapping_form_and_app_image():
    text = (
        "services:\n  redis:\n    container_name: bs-redis\n    image: redis:7\n"
        "  bs-core:\n    image: bs-app:redis\n    depends_on:\n      redis:\n        condition: service_healthy\n"
        "  bs-worker:\n    image: bs-app:redis\n"
    )
    back = to_memcached(text, memcached_service=MEMCACHED, app_image="bs-app:memcached")
    services = load(back.text)["services"]
    assert services["bs-core"]["depends_on"] == {"memcached": {"condition": "service_started"}}
    assert services["bs-worker"]["image"] == "bs-app:memcached"
    assert "volumes" not in load(back.text)


def test_take_over_replaces_a_different_redis_service():
    text = rollout(BASE).text.replace("image: redis:7-alpine", "image: redis:6")
    with pytest.raises(ComposeEditError, match=r"service 'redis' already exists with image redis:6 .*take_over_redis"):
        rollout(text)
    result = rollout(text, take_over_redis=True)
    assert result.changes == ["replaced service redis with the cutover's Redis (bs-redis)"]
    assert load(result.text)["services"]["redis"]["image"] == "redis:7-alpine"


def test_take_over_removes_another_service_holding_the_redis_container_name():
    text = BASE.replace(
        "  bs-frontend:\n", "  cache2:\n    container_name: bs-redis\n    image: redis:6\n\n  bs-frontend:\n"
    )
    with pytest.raises(ComposeEditError, match=r"service 'cache2' holds container_name bs-redis"):
        rollout(text)
    result = rollout(text, take_over_redis=True)
    assert "cache2" not in load(result.text)["services"]
    assert "removed service cache2 (it held container_name bs-redis)" in result.changes
