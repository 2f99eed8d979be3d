"""What the sandbox host runs, as a fault test sees it: a snapshot to compare before and after a run, and
the list of reasons a host is not fully on one release (containers, images, files, cache, broker).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ansible_collections.revisbali.business_suite.plugins.module_utils import dotenv
from tests.lib import sandbox

CONTAINERS = ("postgres-srv", "memcached", "bs-redis", "bs-core", "bs-frontend", "bs-worker")
FILES = (".env", "docker-compose.yml")
ROLE_KEYS = {"REDIS_URL", "REDIS_HOST", "REDIS_PORT", "PGQUEUE_CHANNEL", "CACHE_KEY_PREFIX", "MEMCACHED_HOST"}
STAGING_GLOB = "redis-cutover-*"  # the role's private staging directories (they hold a copy of .env)


@dataclass(frozen=True)
class Release:
    name: str  # "memcached" or "redis"
    cache: str  # the cache server's container
    gone: str  # the other release's cache server, which must not exist
    image_vars: dict[str, str]  # container -> its image's key in sandbox/images/images.env
    backend: str

    def images(self) -> dict[str, str]:
        names = sandbox.images()
        return {container: names[var] for container, var in self.image_vars.items()}


MEMCACHED = Release(
    "memcached",
    "memcached",
    "bs-redis",
    {"memcached": "MEMCACHED_IMAGE", "bs-core": "APP_MEMCACHED_IMAGE", "bs-worker": "APP_MEMCACHED_IMAGE"},
    sandbox.CACHE_BACKENDS["memcached"],
)
REDIS = Release(
    "redis",
    "bs-redis",
    "memcached",
    {"bs-redis": "REDIS_IMAGE", "bs-core": "APP_REDIS_IMAGE", "bs-worker": "APP_REDIS_IMAGE"},
    sandbox.CACHE_BACKENDS["redis"],
)


@dataclass(frozen=True)
class Snapshot:
    """Container identities, the project's files and the role's snapshots at one moment."""

    containers: dict[str, sandbox.Container | None]
    files: dict[str, bytes] = field(repr=False)  # .env holds secrets: never in a report
    modes: dict[str, int]
    snapshots: frozenset[str]

    def changes_to(self, later: Snapshot) -> list[str]:
        """What differs in `later`, in words (never file content: .env holds secrets)."""
        changes = []
        for name in CONTAINERS:
            was, now = self.containers[name], later.containers[name]
            if (was and (was.id, was.started_at)) != (now and (now.id, now.started_at)):
                changes.append(f"container {name}: {describe(was)} -> {describe(now)}")
        for name in FILES:
            if self.files[name] != later.files[name]:
                changes.append(f"{name} content changed")
            if self.modes[name] != later.modes[name]:
                changes.append(f"{name} mode {self.modes[name]:o} -> {later.modes[name]:o}")
        if later.snapshots != self.snapshots:
            changes.append(f"new snapshots: {sorted(later.snapshots - self.snapshots)}")
        return changes


def describe(container: sandbox.Container | None) -> str:
    return "absent" if container is None else f"{container.id[:12]} started {container.started_at}"


def find(name: str) -> sandbox.Container | None:
    result = sandbox.run(["docker", "inspect", "--type", "container", name], check=False)
    return sandbox.container(name) if result.returncode == 0 else None


def take() -> Snapshot:
    snapshots_dir = sandbox.SANDBOX_DIR / ".cutover/snapshots"
    return Snapshot(
        containers={name: find(name) for name in CONTAINERS},
        files={name: read(name) for name in FILES},
        modes={name: (sandbox.SANDBOX_DIR / name).stat().st_mode & 0o7777 for name in FILES},
        snapshots=frozenset(p.name for p in snapshots_dir.iterdir()) if snapshots_dir.is_dir() else frozenset(),
    )


def read(name: str) -> bytes:
    return (sandbox.SANDBOX_DIR / name).read_bytes()


@contextmanager
def compose_file_changed(baseline: Snapshot, change: Callable[[str], str]) -> Iterator[None]:
    """The live docker-compose.yml rewritten by `change` in place (same inode and mode) for the with block,
    then put back as `baseline` holds it."""
    path = sandbox.SANDBOX_DIR / "docker-compose.yml"
    original = baseline.files["docker-compose.yml"]
    changed = change(original.decode())
    assert changed != original.decode(), "the fault was not injected: the sandbox file has another shape"
    path.write_text(changed)
    try:
        yield
    finally:
        path.write_bytes(original)


def staging_dirs() -> set[Path]:
    """The role's staging directories: under the state directory while a run holds the host's lock, in /tmp
    for a check-mode run."""
    return set(Path("/tmp").glob(STAGING_GLOB)) | set((sandbox.SANDBOX_DIR / ".cutover").glob("staging-*"))


def problems(release: Release, baseline: Snapshot | None = None) -> list[str]:
    """Every reason the host is not fully on `release`; empty when it is.

    With `baseline` (the memcached host before the run), the files must be byte-identical to it on
    memcached, and on Redis every .env key the role does not own must keep its value.
    """
    found = []
    for check in (_containers, _files, _cache, _broker):
        try:
            found += check(release, baseline)
        except Exception as error:  # a check that cannot even run is a finding, not a crash
            found.append(f"{check.__name__.strip('_')}: {type(error).__name__}: {error}")
    return found


def _containers(release: Release, _baseline: Snapshot | None) -> list[str]:
    found = []
    images = release.images()
    for name in ("postgres-srv", release.cache, "bs-core", "bs-frontend", "bs-worker"):
        image = images.get(name)
        container = find(name)
        if container is None:
            found.append(f"{name} is missing")
        elif container.status != "running" or container.health not in (None, "healthy"):
            found.append(f"{name} is {container.status}/{container.health}")
        elif image and container.image != image:
            found.append(f"{name} runs {container.image}, not {image}")
        elif image and image_id(name, "container") != image_id(image, "image"):
            found.append(f"{name} runs another image than the one tagged {image} now")
    if find(release.gone) is not None:
        found.append(f"{release.gone} still exists")
    return found


def image_id(name: str, kind: str) -> str:
    """The image id a container runs (kind "container") or a tag points at (kind "image")."""
    template = "{{.Image}}" if kind == "container" else "{{.Id}}"
    return sandbox.run(["docker", "inspect", "--type", kind, "-f", template, name]).stdout.strip()


def _files(release: Release, baseline: Snapshot | None) -> list[str]:
    env = sandbox.read_env()
    services = set(yaml.safe_load((sandbox.SANDBOX_DIR / "docker-compose.yml").read_text())["services"])
    found = []
    if release is MEMCACHED:
        if baseline is not None:
            found += [
                f"{name} differs from the file before the run" for name in FILES if read(name) != baseline.files[name]
            ]
        found += [f".env holds {key}" for key in ("REDIS_URL", "REDIS_HOST") if key in env]
        if "MEMCACHED_HOST" not in env:
            found.append(".env lacks MEMCACHED_HOST")
    else:
        found += [
            f".env lacks {key}"
            for key in ("REDIS_URL", "REDIS_HOST", "REDIS_PORT", "PGQUEUE_CHANNEL")
            if key not in env
        ]
        if "MEMCACHED_HOST" in env:
            found.append(".env still holds MEMCACHED_HOST")
        if baseline is not None:
            found += foreign_keys_changed(baseline)
    if (sandbox.SANDBOX_DIR / ".env").stat().st_mode & 0o077:
        found.append(".env is readable by group or others")
    service = "redis" if release is REDIS else "memcached"
    other = "memcached" if release is REDIS else "redis"
    if service not in services or other in services:
        found.append(f"docker-compose.yml services are {sorted(services)}")
    return found


def foreign_keys_changed(baseline: Snapshot) -> list[str]:
    """The .env keys the role does not own that no longer hold their value from before the run."""
    before = dotenv.values(dotenv.parse(baseline.files[".env"].decode()))
    env = sandbox.read_env()
    return [
        f".env key {key} was changed or removed"
        for key in sorted(set(before) - ROLE_KEYS)
        if env.get(key) != before[key]
    ]


def _cache(release: Release, _baseline: Snapshot | None) -> list[str]:
    status, body = sandbox.http("GET", "/api/cache/roundtrip")
    if status != 200 or not isinstance(body, dict) or body.get("backend") != release.backend or body.get("value") != 2:
        return [f"bs-core cache round trip: {status} {json.dumps(body)[:200]}"]
    return []


def _broker(release: Release, _baseline: Snapshot | None) -> list[str]:
    """The worker, and nothing else, listens for wake-ups on the release's broker (one listener)."""
    worker = sandbox.container_ip("bs-worker")
    sql = sorted(str(addr) for addr in sandbox.listeners().values())
    if release is MEMCACHED:
        return [] if sql == [worker] else [f"SQL broker listeners at {sql}, want only bs-worker {worker}"]
    found = [f"SQL broker listeners at {sql} on a Redis host"] if sql else []
    channel = sandbox.read_env()["PGQUEUE_CHANNEL"]
    subscribers = sorted(c["addr"].rsplit(":", 1)[0] for c in sandbox.redis_client().client_list(_type="pubsub"))
    numsub = sandbox.redis_numsub(channel)
    if subscribers != [worker] or numsub != 1:
        found.append(
            f"Redis subscribers at {subscribers} ({numsub} on channel {channel!r}), want only bs-worker {worker}"
        )
    return found


def assess(baseline: Snapshot | None = None) -> dict[str, list[str]]:
    """problems() for both releases: {"redis": [...], "memcached": [...]}."""
    return {release.name: problems(release, baseline) for release in (REDIS, MEMCACHED)}


def verdict(assessment: dict[str, list[str]]) -> str:
    """'redis', 'memcached', or 'a mix: <reasons>' (the reasons of whichever release is closer)."""
    for name, found in assessment.items():
        if not found:
            return name
    return "a mix: " + "; ".join(min(assessment.values(), key=len))
