"""The release_snapshot module, run as Ansible runs it, against real files in a temp dir and a stand-in `docker`
CLI that keeps its tags in a file (``tags``: one ``<tag> <id>`` line each), so a tag set is seen by the next
inspect. tests/integration/modules tags real images on the real engine."""

import json
import os
import stat

import pytest

from . import module_run
from .module_run import fake_docker

ENV = b"SECRET_KEY=topsecret\nMEMCACHED_LOCATION=memcached:11211\n"
# image inspect prints a document for each tag the file holds and "No such image" for the others; image tag adds
# or moves a line; an id "sha256:bad" is refused as the daemon refuses an image it does not have.
DOCKER = """
tags="$(dirname "$0")/tags"; touch "$tags"
case "$1 $2" in
  "image inspect") shift 2; rc=0
    for ref in "$@"; do case "$ref" in --format|'{{json .}}') continue ;; esac
      id=$(awk -v t="$ref" '$1 == t {print $2}' "$tags")
      if [ -n "$id" ]; then echo "{\\"Id\\": \\"$id\\", \\"RepoTags\\": [\\"$ref\\"]}"
      else echo "Error response from daemon: No such image: $ref" >&2; rc=1; fi
    done; exit $rc ;;
  "image tag") [ "$3" = sha256:bad ] && { echo "Error response from daemon: No such image: $3" >&2; exit 1; }
    awk -v t="$4" '$1 != t' "$tags" > "$tags.new"; echo "$4 $3" >> "$tags.new"; mv "$tags.new" "$tags" ;;
esac
"""
APP = {"image": "bs-app:web", "id": "sha256:1", "rollback_tag": "bs-app:rollback-1"}
CACHE = {"image": "memcached:1.6", "id": "sha256:2", "rollback_tag": "memcached:rollback-1"}


@pytest.fixture
def host(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / ".env").write_bytes(ENV)
    (project / ".env").chmod(0o640)
    (project / "docker-compose.yml").write_text("services: {}\n")
    return project


@pytest.fixture
def docker(tmp_path):
    return fake_docker(tmp_path, DOCKER)


def snapshot(tmp_path, host, docker, check=False, **extra):
    args = dict(
        snapshots_dir=str(host / ".cutover" / "snapshots"),
        name="20261206T000000Z",
        files={"env": str(host / ".env"), "docker-compose.yml": str(host / "docker-compose.yml")},
        images={"bs-core": APP, "bs-worker": dict(APP), "memcached": CACHE},
        manifest={"release": "memcached"},
    )
    args.update(extra)
    return module_run.run_module(tmp_path, "release_snapshot", check=check, bin_dir=docker, **args)


def tags(docker):
    return sorted((docker / "tags").read_text().split("\n")[:-1]) if (docker / "tags").exists() else []


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_writes_private_copies_tags_each_image_once_and_the_manifest_last(tmp_path, host, docker):
    result = snapshot(tmp_path, host, docker)
    directory = host / ".cutover" / "snapshots" / "20261206T000000Z"
    assert result["changed"] is True and "failed" not in result
    assert (result["path"], result["written"]) == (str(directory), ["env", "docker-compose.yml", "manifest.json"])
    assert result["tagged"] == ["bs-app:rollback-1", "memcached:rollback-1"]
    assert tags(docker) == ["bs-app:rollback-1 sha256:1", "memcached:rollback-1 sha256:2"]
    assert (directory / "env").read_bytes() == ENV
    for path in (host / ".cutover", directory.parent, directory):
        assert mode(path) == 0o700, path
    assert sorted(os.listdir(directory)) == ["docker-compose.yml", "env", "manifest.json"]
    assert {mode(directory / name) for name in os.listdir(directory)} == {0o600}
    manifest = json.loads((directory / "manifest.json").read_text())
    assert manifest["release_id"] == "20261206T000000Z" and manifest["release"] == "memcached"
    assert manifest["files"] == ["env", "docker-compose.yml"] and manifest["images"]["bs-worker"] == APP
    assert result["snapshots"] == [{"name": directory.name, "path": str(directory), "manifest": manifest}]
    assert "topsecret" not in json.dumps(result)


def test_a_second_call_changes_nothing_and_keeps_the_manifest(tmp_path, host, docker):
    snapshot(tmp_path, host, docker)
    manifest = host / ".cutover" / "snapshots" / "20261206T000000Z" / "manifest.json"
    before = manifest.read_bytes()
    again = snapshot(tmp_path, host, docker)
    assert (again["changed"], again["written"], again["tagged"]) == (False, [], [])
    assert manifest.read_bytes() == before


def test_check_mode_predicts_and_writes_nothing(tmp_path, host, docker):
    result = snapshot(tmp_path, host, docker, check=True)
    assert result["changed"] is True
    assert result["written"] == ["env", "docker-compose.yml", "manifest.json"]
    assert result["tagged"] == ["bs-app:rollback-1", "memcached:rollback-1"]
    assert not (host / ".cutover").exists() and tags(docker) == [] and result["snapshots"] == []


def test_a_tag_on_another_image_is_moved(tmp_path, host, docker):
    (docker / "tags").write_text("bs-app:rollback-1 sha256:old\nmemcached:rollback-1 sha256:2\n")
    result = snapshot(tmp_path, host, docker)
    assert result["tagged"] == ["bs-app:rollback-1"]
    assert tags(docker) == ["bs-app:rollback-1 sha256:1", "memcached:rollback-1 sha256:2"]


def test_only_the_directories_of_the_role_are_made_private(tmp_path, host, docker):
    state = host / ".cutover"
    state.mkdir(mode=0o755)
    state.chmod(0o755)
    snapshot(tmp_path, host, docker)
    assert mode(state) == 0o755  # the state directory may be the user's (redis_cutover_state_dir)
    assert mode(state / "snapshots") == 0o700


def test_listing_keeps_snapshots_without_a_manifest_and_leaves_out_the_rest(tmp_path, host, docker):
    snapshots = host / ".cutover" / "snapshots"
    for name in ("20261201T000000Z", "20261202T000000Z", ".hidden"):
        (snapshots / name).mkdir(parents=True)
    (snapshots / "20261202T000000Z" / "manifest.json").write_text("{not json")
    (snapshots / "stray-file").write_text("")
    (snapshots / "link").symlink_to(snapshots / "20261201T000000Z")
    listed = module_run.run_module(tmp_path, "release_snapshot", snapshots_dir=str(snapshots))
    assert listed["changed"] is False
    assert [(s["name"], s["manifest"]) for s in listed["snapshots"]] == [
        ("20261201T000000Z", None),
        ("20261202T000000Z", None),
    ]
    assert module_run.run_module(tmp_path, "release_snapshot", snapshots_dir=str(tmp_path / "none"))["snapshots"] == []


@pytest.mark.parametrize(
    "extra, reason, says",
    [
        ({"snapshots_dir": "relative/snapshots"}, "input", "absolute"),
        ({"name": "../escape"}, "input", "directory name"),
        ({"files": {"manifest.json": "/etc/hostname"}}, "input", "plain file name"),
        ({"files": {"env": "relative/.env"}}, "input", "absolute path"),
        ({"images": {"bs-core": {"id": "sha256:1"}}}, "input", "rollback_tag"),
        ({"name": "", "manifest": {"release": "memcached"}}, "input", "need a name"),
        ({"files": {"env": "/nonexistent/.env"}}, "file", "cannot read"),
        ({"images": {"bs-core": dict(APP, id="sha256:bad")}}, "container", "docker image tag"),
    ],
)
def test_every_failure_carries_a_reason_and_bad_input_writes_nothing(tmp_path, host, docker, extra, reason, says):
    result = snapshot(tmp_path, host, docker, **extra)
    assert result.get("failed") is True and result["reason"] == reason and says in result["msg"], result
    if reason != "container":  # a refused tag comes after the copies, before the manifest
        assert not (host / ".cutover").exists()
    else:
        assert not list((host / ".cutover").rglob("manifest.json"))


def test_without_a_docker_cli_images_cannot_be_tagged(tmp_path, host):
    result = snapshot(tmp_path, host, None)
    assert (result.get("failed"), result["reason"]) == (True, "container") and "no docker CLI" in result["msg"]
    assert not (host / ".cutover").exists()
