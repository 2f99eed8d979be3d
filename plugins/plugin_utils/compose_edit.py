# -*- coding: utf-8 -*-
# Copyright (c) RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cutover's edits of a live docker-compose file: memcached -> Redis, and back.

Pure functions over the file's text. Only what the cutover owns changes (the cache service, the
references to it, the Redis volume declaration, the app images, the worker's stop grace period);
every other byte is kept as far as ruamel.yaml's round trip allows. Anything the edit cannot do
safely is refused with ComposeEditError before anything is produced.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

from ansible_collections.revisbali.business_suite.plugins.plugin_utils.compose_yaml import (
    ComposeDocument,
    ComposeEditError,
    anchor_name,
    append_entry,
    give_tail,
    is_flow,
    is_map,
    is_null,
    is_own,
    is_seq,
    merge_sources,
    own_keys,
    plain,
    remove_entry,
    replace_entry,
    replace_item,
    take_tail,
    trim_end,
)

__all__ = ["MEMCACHED_KNOWN_KEYS", "ComposeEditError", "Result", "to_memcached", "to_redis"]

# What the rollback (to_memcached) can rebuild from the role's memcached definition.
MEMCACHED_KNOWN_KEYS = frozenset(
    ("image", "container_name", "restart", "networks", "healthcheck", "command", "hostname", "labels",
     "logging", "deploy", "environment", "expose")
)  # fmt: skip
REFERENCE_LISTS = ("depends_on", "links", "external_links", "environment")  # entries dropped one by one
HOST_BEFORE, HOST_AFTER = r"(?:^|[/@,;\s=]|:-|:=|\{)", r"(?=$|[:/,;\s}])"  # a host name inside a value
BLANK_BEFORE_TOP_LEVEL_RE = re.compile(r"\n[ \t]*\n[^\s#]")
SHARED_NAMESPACES = ("network_mode", "pid", "ipc")


class Result(NamedTuple):
    """The edited file's text (the input itself when nothing changed) and one line per change."""

    text: str
    changes: list[str]


def to_redis(
    text,
    *,
    redis_service,
    redis_name="redis",
    memcached_name="memcached",
    memcached_container="memcached",
    dependents=("bs-core", "bs-worker"),
    redis_volume="redis_data",
    app_image=None,
    app_services=("bs-core", "bs-worker"),
    worker_service="bs-worker",
    worker_stop_grace_period=None,
    take_over_redis=False,
    memcached_service=None,
):
    """The rollout's compose file: memcached replaced by ``redis_service``.

    ``memcached_service`` (optional) is the definition a rollback would put back: keys of the live
    memcached service beyond MEMCACHED_KNOWN_KEYS are accepted when it holds them with equal values.
    """
    wanted = _service_spec(redis_service, "redis_service")
    stack = _Stack(text)
    stack.require(app_services if app_image else (), "app_services")
    stack.require([worker_service] if worker_stop_grace_period else [], "worker_service")
    services = stack.services
    redis_container = wanted["container_name"]
    current = services.get(redis_name) if is_own(services, redis_name) else None
    matches = (
        current is not None
        and _field(current, "container_name") == redis_container
        and (_field(current, "image") == wanted["image"])
    )
    if current is not None and not matches and not take_over_redis:
        raise ComposeEditError(
            "service %r already exists with image %s and container_name %s, not the cutover's %s / %s: set "
            "redis_cutover_take_over_redis: true to replace it, or make the role's Redis settings match it"
            % (redis_name, _field(current, "image"), _field(current, "container_name"), wanted["image"],
               redis_container)
        )  # fmt: skip
    if current is not None and not matches:
        stack.check_removable(redis_name, "replace it")
    holders = [n for n in stack.names() if n != redis_name and _field(services[n], "container_name") == redis_container]
    for holder in holders:
        if not take_over_redis:
            raise ComposeEditError(
                "service %r holds container_name %s, which the redis service needs: rename its container, remove "
                "it, or set redis_cutover_take_over_redis: true to replace it" % (holder, redis_container)
            )
        stack.check_removable(holder, "replace it")
        stack.references(holder, {holder}, set(), "the cutover replaces it", refuse_all=True)

    if not matches:
        stack.check_volumes(wanted, redis_volume)
    memcached = services.get(memcached_name) if is_own(services, memcached_name) else None
    if memcached is None:
        stack.refuse_memcached_lookalike(memcached_name, memcached_container)
        if current is None and not holders:
            raise ComposeEditError(
                "the file has neither a memcached service %r nor a redis service %r: nothing to cut over; set "
                "redis_cutover_memcached_service_name to the name of the memcached service"
                % (memcached_name, redis_name)
            )
        if not matches:  # taking over; otherwise the user's redis service stays as it is
            where = redis_name if current is not None else holders[0]
            stack.remove_holders(holders, keep=where, container=redis_container)
            stack.put_redis(
                where, redis_name, wanted, redis_volume, "replaced service %s with the cutover's Redis" % where
            )
        stack.set_images(app_services, app_image)
        stack.set_grace_period(worker_service, worker_stop_grace_period)
        return stack.result()

    _refuse_custom_memcached(memcached_name, memcached, memcached_service)
    stack.check_removable(memcached_name, "remove it")
    hosts = _host_names(memcached_name, memcached) | {memcached_container}
    plan = stack.references(memcached_name, hosts, {memcached_container}, "the cutover removes it")
    stack.check_depends_editable(dependents)

    stack.remove_holders(holders, keep=None, container=redis_container)
    if matches:
        stack.remove_service(memcached_name, "removed service %s" % memcached_name)
    else:
        if current is not None:
            stack.remove_service(redis_name, "removed service %s (replaced by the cutover's Redis)" % redis_name)
        stack.changes.append("removed service %s" % memcached_name)
        stack.put_redis(memcached_name, redis_name, wanted, redis_volume, "added service %s" % redis_name)
    stack.drop_references(plan, memcached_name, keep_for=dependents)
    healthy = _has_healthcheck(services[redis_name])
    for name in dependents:
        stack.add_dependency(name, redis_name, memcached_name, healthy)
    stack.set_images(app_services, app_image)
    stack.set_grace_period(worker_service, worker_stop_grace_period)
    return stack.result()


def to_memcached(
    text,
    *,
    memcached_service,
    memcached_name="memcached",
    redis_name="redis",
    redis_container="bs-redis",
    dependents=("bs-core",),
    redis_dependents=("bs-core", "bs-worker"),
    redis_volume="redis_data",
    app_image=None,
    app_services=("bs-core", "bs-worker"),
):
    """The memcached compose file rebuilt from a Redis one (a rollback that has no snapshot).

    Redis is removed only from ``redis_dependents``; another service that depends on it is refused
    (the rollback would take away a Redis it needs).
    """
    wanted = _service_spec(memcached_service, "memcached_service")
    stack = _Stack(text)
    stack.require(app_services if app_image else (), "app_services")
    services = stack.services
    redis = services.get(redis_name) if is_own(services, redis_name) else None
    memcached = services.get(memcached_name) if is_own(services, memcached_name) else None
    if redis is None:
        if memcached is None:
            raise ComposeEditError(
                "the file has neither a redis service %r nor a memcached service %r: nothing to roll back"
                % (redis_name, memcached_name)
            )
        stack.set_images(app_services, app_image)  # already on memcached
        return stack.result()
    if _field(redis, "container_name") != redis_container:
        raise ComposeEditError(
            "service %r has container_name %s, not %s: it is not the cutover's Redis, so the rollback leaves the "
            "file alone; restore the previous compose file by hand"
            % (redis_name, _field(redis, "container_name"), redis_container)
        )
    for name in stack.names():
        if name != memcached_name and _field(services[name], "container_name") == wanted["container_name"]:
            raise ComposeEditError(
                "service %r holds container_name %s, which the memcached service needs: rename its container or "
                "remove it first" % (name, wanted["container_name"])
            )
    stack.check_removable(redis_name, "remove it")
    hosts = _host_names(redis_name, redis) | {redis_container}
    plan = stack.references(redis_name, hosts, {redis_container}, "the rollback removes it", environment=False)
    for name, field, _key in plan:
        if name not in redis_dependents:
            raise ComposeEditError(
                "service %r: %s names %s, which the rollback removes: remove the reference first, or add %s to "
                "redis_dependents if it may lose Redis" % (name, field, redis_name, name)
            )
    stack.check_depends_editable(dependents)

    if memcached is not None:
        stack.remove_service(redis_name, "removed service %s" % redis_name)
    else:
        stack.replace_service(redis_name, memcached_name, wanted)
        stack.changes.append("removed service %s" % redis_name)
        stack.changes.append("added service %s (%s)" % (memcached_name, wanted["container_name"]))
    stack.drop_references(plan, redis_name, keep_for=dependents)
    memcached_node = services[memcached_name]
    for name in dependents:
        stack.add_dependency(name, memcached_name, redis_name, _has_healthcheck(memcached_node))
    stack.undeclare_volume(redis_volume)
    stack.set_images(app_services, app_image)
    return stack.result()


# --- the file under edit ----------------------------------------------------------------------


class _Stack(object):
    """A compose file being edited, with the changes made so far."""

    def __init__(self, text):
        self.doc = ComposeDocument(text)
        self.text = text
        data = self.doc.data
        if not is_map(data):
            raise ComposeEditError("the compose file is not a mapping of top-level keys (services:, volumes:, ...)")
        if "services" not in data or is_null(data["services"]):
            raise ComposeEditError("the compose file has no services: mapping")
        if not is_map(data["services"]):
            raise ComposeEditError("services: is not a mapping of service names to definitions")
        self.data = data
        self.services = data["services"]
        for name in self.names():
            if not is_map(self.services[name]):
                raise ComposeEditError("service %r is not a mapping" % name)
        self.changes = []
        self._counts = None

    def names(self):
        return [name for name in self.services if not str(name).startswith("x-")]

    def require(self, names, option):
        for name in names:
            if name not in self.services:
                raise ComposeEditError(
                    "%s: service %r is not in the file (it has %s)" % (option, name, ", ".join(self.names()))
                )

    def result(self):
        if not self.changes:
            return Result(self.text, [])
        text = self.doc.dump()
        if plain(ComposeDocument(text).data) != plain(self.data):
            raise ComposeEditError("internal error: the edited file does not read back as edited (please report)")
        return Result(text, list(self.changes))

    # --- checks, all before the first change ---------------------------------------------------

    def refuse_memcached_lookalike(self, memcached_name, memcached_container):
        for name in self.names():
            service = self.services[name]
            image = _field(service, "image")
            if isinstance(image, str) and _image_name(image) == "memcached":
                raise ComposeEditError(
                    "no service %r, but service %r runs image %s; set redis_cutover_memcached_service_name: %s"
                    % (memcached_name, name, image, name)
                )
            if _field(service, "container_name") == memcached_container:
                raise ComposeEditError(
                    "no service %r, but service %r has container_name %s; set redis_cutover_memcached_service_name: %s"
                    % (memcached_name, name, memcached_container, name)
                )

    def check_removable(self, name, action):
        """Refuse when a YAML anchor defined inside the service is used outside it."""
        target = self.services[name]
        first_inside, users = {}, []

        def walk(node, inside, where):
            if not (is_map(node) or is_seq(node) or anchor_name(node)):
                return
            if id(node) in first_inside:
                if first_inside[id(node)] and not inside:
                    users.append((node, where))
                return
            first_inside[id(node)] = inside
            if is_map(node):
                for source in merge_sources(node):
                    walk(source, inside, where)
                for key in own_keys(node):
                    child = node[key]
                    at = str(key) if node is self.data else "service %r" % key if node is self.services else where
                    walk(child, inside or child is target, at)
            elif is_seq(node):
                for item in node:
                    walk(item, inside, where)

        walk(self.data, False, "")
        for node, where in users:
            raise ComposeEditError(
                "service %r defines YAML anchor &%s, which %s also uses: the edit cannot %s without breaking that; "
                "write the anchored value out where it is used, then run again"
                % (name, anchor_name(node) or "?", where, action)
            )

    def references(self, target, hosts, containers, why, environment=True, refuse_all=False):
        """Entries of other services that name ``target``: [(service, field, key or index)] to drop.
        References that cannot be dropped safely (or any, with refuse_all) are refused."""
        plan = []
        fields = REFERENCE_LISTS if environment else REFERENCE_LISTS[:-1]
        for name in self.names():
            if name == target:
                continue
            service = self.services[name]
            self._refuse_fixed_references(name, service, target, hosts, containers, why)
            for field in fields:
                value = service.get(field)
                found = [key for key in _entry_keys(value) if _names(field, value, key, target, hosts, containers)]
                if not found:
                    continue
                if refuse_all:
                    raise ComposeEditError(
                        "service %r: %s names %r, which %s; remove the reference first" % (name, field, target, why)
                    )
                merged = is_map(value) and not all(is_own(value, key) for key in found)
                if merged or not is_own(service, field) or self._shared(value):
                    raise ComposeEditError(
                        "service %r: %s comes from a YAML anchor or merge key (<<) that other entries share, so %r "
                        "cannot be edited out of it for this service alone; write %s out in service %r, then run again"
                        % (name, field, target, field, name)
                    )
                plan.extend((name, field, key) for key in found)
        return plan

    def _refuse_fixed_references(self, name, service, target, hosts, containers, why):
        def refuse(field, how):
            raise ComposeEditError(
                "service %r: %s %s %r, which %s; this cannot be edited safely: change it by hand first"
                % (name, field, how, target, why)
            )

        owners = {"service:" + target} | {"container:" + container for container in containers}
        for field in SHARED_NAMESPACES:
            if _field(service, field) in owners:
                refuse(field, "shares the namespace of")
        for item in _field(service, "volumes_from") or []:
            parts = str(item).split(":")
            source = ":".join(parts[:2]) if parts[0] == "container" else parts[0]
            if source == target or source in owners:
                refuse("volumes_from", "mounts the volumes of")
        extends = _field(service, "extends")
        if extends == target or (
            isinstance(extends, dict) and extends.get("service") == target and not extends.get("file")
        ):
            refuse("extends", "extends")
        check = _field(service, "healthcheck")
        for field, value in (("command", _field(service, "command")), ("entrypoint", _field(service, "entrypoint")),
                             ("healthcheck", check.get("test") if isinstance(check, dict) else None)):  # fmt: skip
            words = [value] if isinstance(value, str) else value if isinstance(value, list) else []
            if any(isinstance(word, str) and _points_at(word, hosts) for word in words):
                refuse(field, "connects to")

    def _shared(self, node):
        """Whether the node is reached along more than one path (a YAML alias or merge key)."""
        if self._counts is None:
            self._counts = {}
            self._count(self.data, set())
        return self._counts.get(id(node), 0) > 1

    def _count(self, node, path):
        if not (is_map(node) or is_seq(node)) or id(node) in path:
            return
        self._counts[id(node)] = self._counts.get(id(node), 0) + 1
        path.add(id(node))
        children = [node[key] for key in own_keys(node)] + merge_sources(node) if is_map(node) else list(node)
        for child in children:
            self._count(child, path)
        path.discard(id(node))

    def check_depends_editable(self, names):
        for name in names:
            if name not in self.services:
                raise ComposeEditError(
                    "dependents: service %r is not in the file (it has %s)" % (name, ", ".join(self.names()))
                )
            service = self.services[name]
            if "depends_on" not in service or is_null(service["depends_on"]):
                continue
            value = service["depends_on"]
            if not (is_seq(value) or is_map(value)):
                raise ComposeEditError("service %r: depends_on is neither a list nor a mapping" % name)
            if not is_own(service, "depends_on") or self._shared(value):
                raise ComposeEditError(
                    "service %r: depends_on comes from a YAML anchor or merge key (<<) that other entries share, so "
                    "the cache service cannot be changed in it for this service alone; write depends_on out in "
                    "service %r, then run again" % (name, name)
                )

    # --- changes -------------------------------------------------------------------------------

    def remove_service(self, name, change):
        self._remove(self.services, name)
        self.changes.append(change)

    def replace_service(self, old, new, spec):
        replace_entry(self.services, old, new, self.doc.node(spec))

    def remove_holders(self, holders, keep, container):
        for holder in holders:
            if holder != keep:
                self.remove_service(holder, "removed service %s (it held container_name %s)" % (holder, container))

    def put_redis(self, where, redis_name, spec, volume, verb):
        """The cutover's Redis where ``where`` (memcached, or a service being taken over) was."""
        self.replace_service(where, redis_name, spec)
        self.changes.append("%s (%s)" % (verb, spec["container_name"]))
        if volume and volume in _named_volumes(spec):
            self.declare_volume(volume)

    def check_volumes(self, spec, volume):
        """Refuse a Redis service whose named volumes could not all be declared."""
        volumes = self.data.get("volumes")
        if "volumes" in self.data and not is_null(volumes) and not is_map(volumes):
            raise ComposeEditError("the top-level volumes: is not a mapping, so volume %s cannot be declared" % volume)
        for name in sorted(_named_volumes(spec) - {volume}):
            if not is_map(volumes) or name not in volumes:
                raise ComposeEditError(
                    "the Redis service mounts volume %s, which the file does not declare; set the Redis volume "
                    "(redis_cutover_redis_volume) to %s or declare it in the file" % (name, name)
                )

    def declare_volume(self, volume):
        volumes = self.data.get("volumes")
        if "volumes" not in self.data:
            self._append_top_level("volumes", self.doc.node({volume: None}))
        elif is_null(volumes):
            self._set(self.data, "volumes", self.doc.node({volume: None}))
        elif volume in volumes:
            return
        else:
            append_entry(volumes, volume, None)
        self.changes.append("declared volume %s" % volume)

    def undeclare_volume(self, volume):
        volumes = self.data.get("volumes")
        if not is_map(volumes) or not is_own(volumes, volume):
            return
        if any(volume in _named_volumes(self.services[name]) for name in self.names()):
            return
        self._remove(volumes, volume)
        if not volumes:
            last = own_keys(self.data)[-1] == "volumes"
            self._remove(self.data, "volumes")
            if last:
                trim_end(self.data)
        self.changes.append("removed volume declaration %s (no service uses it)" % volume)

    def _append_top_level(self, key, value):
        keys = own_keys(self.data)
        append_entry(self.data, key, value)
        if keys and BLANK_BEFORE_TOP_LEVEL_RE.search(self.text.replace("\r\n", "\n")):
            give_tail(self.data, keys[-1], "\n")  # the file separates its top-level sections by a blank line

    def _remove(self, container, key):
        """Remove an entry; comment lines left over when its container empties go after the
        container's own entry in its parent (which the caller then removes or refills)."""
        leftover = remove_entry(container, key)
        if leftover:
            parent, parent_key = self._parent_of(container)
            if parent is not None:
                give_tail(parent, parent_key, leftover)

    def _parent_of(self, node):
        pending = [self.data]
        while pending:
            current = pending.pop()
            for key in _entry_keys(current):
                if current[key] is node:
                    return current, key
                pending.append(current[key])
        return None, None

    def drop_references(self, plan, target, keep_for=()):
        """Drop the planned references; depends_on entries of the services in ``keep_for`` stay for
        add_dependency, which puts the new cache service in their place."""
        dropped = []
        for name, field, key in reversed(plan):  # from the end: list indices stay valid
            if field == "depends_on" and name in keep_for:
                continue
            service = self.services[name]
            dropped.append("%s: %s removed" % (name, _entry_label(field, service[field], key, target)))
            self._remove(service[field], key)
            if not service[field]:
                self._remove(service, field)
        self.changes.extend(reversed(dropped))

    def add_dependency(self, name, new, old, healthy):
        """``new`` in the service's depends_on, in the form it uses there; ``old`` makes way for it."""
        service = self.services[name]
        depends = service.get("depends_on")
        if is_null(depends):
            self._set(service, "depends_on", self.doc.node([new]))
            self.changes.append("%s: depends_on %s added" % (name, new))
            return
        items = [str(item) for item in depends] if is_seq(depends) else list(depends.keys())
        if new in items:
            if old in items:
                self._remove(depends, items.index(old) if is_seq(depends) else old)
                self.changes.append("%s: depends_on %s removed" % (name, old))
            return
        if is_seq(depends):
            if old in items:
                replace_item(depends, items.index(old), new)
                self.changes.append("%s: depends_on %s -> %s" % (name, old, new))
            else:
                append_entry(depends, None, new)
                self.changes.append("%s: depends_on %s added" % (name, new))
            return
        condition = "service_healthy" if healthy else "service_started"
        entry = self.doc.node({"condition": condition})
        neighbour = depends[old] if old in items else depends[items[-1]] if items else None
        if is_flow(neighbour):
            entry.fa.set_flow_style()
        if old in items:
            replace_entry(depends, old, new, entry)
            self.changes.append("%s: depends_on %s -> %s (%s)" % (name, old, new, condition))
        else:
            append_entry(depends, new, entry)
            self.changes.append("%s: depends_on %s added (%s)" % (name, new, condition))

    def _set(self, mapping, key, value):
        """Set a key; a new key goes at the end, and the lines after the old value follow the new one."""
        if is_own(mapping, key):
            tail = take_tail(mapping, key)
            mapping[key] = value
            give_tail(mapping, key, tail)
        else:
            append_entry(mapping, key, value)

    def set_images(self, names, image):
        if not image:
            return
        for name in names:
            service = self.services[name]
            before = _field(service, "image")
            if before == image:
                continue
            self._set(service, "image", image)
            self.changes.append(
                "%s: image %s -> %s" % (name, before, image) if before else "%s: image %s set" % (name, image)
            )

    def set_grace_period(self, name, period):
        if not period or "stop_grace_period" in self.services[name]:
            return
        append_entry(self.services[name], "stop_grace_period", self.doc.node(str(period)))
        self.changes.append(
            "%s: stop_grace_period %s set (the worker drains in-flight jobs on SIGTERM)" % (name, period)
        )


# --- helpers over plain values -------------------------------------------------------------------


def _service_spec(spec, option):
    if not isinstance(spec, Mapping) or not all(
        isinstance(spec.get(k), str) and spec.get(k) for k in ("image", "container_name")
    ):
        raise ComposeEditError("%s must be a mapping with at least image and container_name" % option)
    return _plain_input(spec)


def _plain_input(value):
    if isinstance(value, Mapping):
        return {str(k): _plain_input(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_input(v) for v in value]
    return value


def _field(service, key):
    value = service.get(key)
    return None if is_null(value) else plain(value)


def _image_name(image):
    """'docker.io/bitnami/memcached:1.6@sha256:..' -> 'memcached'."""
    return image.split("@")[0].rsplit("/", 1)[-1].split(":")[0]


def _refuse_custom_memcached(name, service, definition):
    known = _plain_input(definition) if isinstance(definition, Mapping) else {}
    extra = sorted(
        str(k) for k in service
        if k not in MEMCACHED_KNOWN_KEYS and not (k in known and plain(service[k]) == known[k])
    )  # fmt: skip
    if extra:
        raise ComposeEditError(
            "service %r has %s, which the role's memcached definition does not hold: a rollback without a snapshot "
            "could not put %s back; remove %s from the file, or give the role's memcached service the same values"
            % (name, ", ".join(extra), "them" if len(extra) > 1 else "it", "them" if len(extra) > 1 else "it")
        )


def _host_names(name, service):
    """Every name other containers can reach the service by: its name, hostname, network aliases."""
    names = {name}
    if isinstance(_field(service, "hostname"), str):
        names.add(_field(service, "hostname"))
    networks = service.get("networks")
    if is_map(networks):
        for settings in networks.values():
            if is_map(settings) and is_seq(settings.get("aliases")):
                names.update(str(alias) for alias in settings["aliases"])
    return names


def _points_at(value, hosts):
    """Whether a string names one of the hosts: 'memcached:11211', 'pymemcache://memcached',
    '${MEMCACHED_HOST:-memcached}', 'memcached' (not 'bs-memcached', 'memcached.backends')."""
    return any(re.search(HOST_BEFORE + re.escape(host) + HOST_AFTER, value) for host in hosts)


def _entry_keys(value):
    if is_map(value):
        return list(value.keys())
    if is_seq(value):
        return list(range(len(value)))
    return []


def _names(field, value, key, target, hosts, containers):
    if field == "depends_on":
        return (key if is_map(value) else str(value[key])) == target
    if field in ("links", "external_links"):
        entry = str(value[key]).split(":", maxsplit=1)[0]
        return entry == target if field == "links" else entry in containers
    if is_map(value):
        item = value[key]
        return isinstance(item, str) and _points_at(item, hosts)
    item = str(value[key])
    return "=" in item and _points_at(item.split("=", 1)[1], hosts)


def _entry_label(field, value, key, target):
    if field == "environment":
        return "environment %s" % (key if is_map(value) else str(value[key]).split("=", 1)[0])
    if field == "depends_on":
        return "depends_on %s" % target
    return "%s %s" % (field, value[key])


def _has_healthcheck(service):
    check = service.get("healthcheck")
    if not is_map(check) or check.get("disable") is True:
        return False
    test = _field(check, "test")
    return bool(test) and test != ["NONE"]


def _named_volumes(service):
    """Names of the named volumes a service (ruamel node or plain dict) mounts, short and long syntax."""
    names = set()
    mounts = service.get("volumes")
    for mount in mounts if isinstance(mounts, list) else []:
        if isinstance(mount, Mapping):
            if mount.get("type", "volume") == "volume" and isinstance(mount.get("source"), str):
                names.add(str(mount["source"]))
        elif isinstance(mount, str) and ":" in mount:
            source = mount.split(":", 1)[0]
            if re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", source):
                names.add(source)
    return names
