"""The image references the restore and the prune handle, rendered from the role's own task files: the restore
re-tags only the references a tag can name, the prune removes the older snapshots' rollback tags. (The snapshot's
rollback tags come from the snapshot_images filter: tests/unit/plugins/filter/test_snapshot_images.py.)"""

from __future__ import annotations

from pathlib import Path

import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

ROLE = Path(__file__).resolve().parents[3] / "roles/redis_cutover"
DIGEST = "sha256:" + "ab" * 32


def task(file, name):
    tasks = yaml.safe_load((ROLE / "tasks" / file).read_text())
    found = [t for t in walk(tasks) if t.get("name") == name]
    assert len(found) == 1, f"{name!r} not found once in {file}"
    return found[0]


def walk(tasks):
    for entry in tasks:
        yield entry
        yield from walk(entry.get("block", []))


def render(expression, **variables):
    return Templar(loader=DataLoader(), variables=variables).template(trust_as_template(expression))


def test_the_restore_retags_only_references_a_tag_can_name():
    loop = task("restore.yml", "Restore | Put the snapshot's images back under their names")["loop"]
    snapshot_images = {
        "bs-core": {"image": "bs-app:release-memcached", "id": "sha256:1"},
        "bs-worker": {"image": "bs-app:release-memcached", "id": "sha256:1"},
        "memcached": {"image": f"memcached@{DIGEST}", "id": "sha256:2"},
    }
    items = render(loop, __redis_cutover_snapshot_images=snapshot_images)
    # once per image the services share
    assert items == [{"image": "bs-app:release-memcached", "id": "sha256:1"}]


def pruned(dirs, keep, coming=0, protect="", manifests=()):
    block = task(
        "snapshot_prune.yml", "Snapshots | Prune the ones beyond redis_cutover_snapshots_keep, with their rollback tags"
    )
    variables = dict(
        __redis_cutover_prune_dirs=dirs,
        __redis_cutover_prune_keep=keep,
        __redis_cutover_prune_coming=coming,
        __redis_cutover_prune_protect=protect,
        __redis_cutover_prune_manifests=list(manifests),
    )
    names = render(block["vars"]["__redis_cutover_pruned"], **variables)
    tags = render(block["vars"]["__redis_cutover_pruned_tags"], **variables, __redis_cutover_pruned=names)
    return names, tags


def manifest(path, *tags):
    """A snapshot as release_snapshot lists it."""
    return {"path": path, "manifest": {"images": {f"service{i}": {"rollback_tag": tag} for i, tag in enumerate(tags)}}}


SNAPSHOTS = [f"/srv/app/.cutover/snapshots/2026120{day}T000000Z" for day in range(1, 8)]


def test_prune_keeps_the_newest_and_removes_the_older_with_their_tags():
    manifests = [
        manifest(path, f"bs-app:rollback-{path[-16:]}", f"memcached:rollback-{path[-16:]}") for path in SNAPSHOTS
    ]
    names, tags = pruned(list(reversed(SNAPSHOTS)), keep=5, protect=SNAPSHOTS[-1], manifests=manifests)
    assert names == SNAPSHOTS[:2]
    assert tags == sorted(f"{repo}:rollback-{path[-16:]}" for path in SNAPSHOTS[:2] for repo in ("bs-app", "memcached"))


def test_prune_counts_the_snapshot_check_mode_did_not_make():
    assert pruned(SNAPSHOTS[:5], keep=5, coming=1)[0] == SNAPSHOTS[:1]
    assert pruned(SNAPSHOTS[:5], keep=5, coming=0, protect=SNAPSHOTS[4])[0] == []


def test_prune_never_removes_the_snapshot_a_rollback_restores():
    # A clock that went back: the snapshot this run made sorts first.
    names = pruned(SNAPSHOTS[:3], keep=1, protect=SNAPSHOTS[0])[0]
    assert names == SNAPSHOTS[1:2]


def test_prune_removes_a_snapshot_left_without_a_manifest():
    names, tags = pruned(
        SNAPSHOTS[:3], keep=2, protect=SNAPSHOTS[2], manifests=[manifest(SNAPSHOTS[1], "x:rollback-1")]
    )
    assert (names, tags) == (SNAPSHOTS[:1], [])
