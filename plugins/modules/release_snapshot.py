#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: release_snapshot
short_description: Keep a release's files and images in one call, and list the snapshots kept
version_added: 0.1.0
description:
  - With O(name), writes the snapshot O(snapshots_dir)/O(name) of the release being replaced, in this order. It
    creates the directory (0700; O(snapshots_dir) too, and the parents it lacks). It copies each of O(files) into
    it, byte for byte and 0600. It tags each image of O(images) as its C(rollback_tag). It writes C(manifest.json)
    last, so a snapshot with a manifest is a whole one.
  - Without O(name), only lists the snapshots.
  - One call instead of a task per directory, file, tag and manifest, so that a snapshot costs one round trip to
    the host.
  - Every call returns RV(snapshots), each snapshot directory under O(snapshots_dir) with its manifest.
  - Nothing is written before every input is checked and every source file is read.
  - The copies hold every secret of the host's C(.env). They are written 0600 through a 0600 temporary file in the
    snapshot directory, and their content is never in the result or a diff.
  - Images are tagged through the C(docker) CLI, the client C(docker compose) uses.
extends_documentation_fragment:
  - revisbali.business_suite.attributes
attributes:
  check_mode:
    support: full
    details: Reads the files and tags and says what it would write or tag; it writes and tags nothing.
  diff_mode:
    support: none
    details: The copies are of C(.env), whose values must never print.
  idempotent:
    support: full
    details: A second call with the same inputs writes nothing and keeps the manifest's C(created).
options:
  snapshots_dir:
    description: The directory that holds every snapshot, one directory each.
    type: path
    required: true
  name:
    description:
      - The snapshot to write, a directory name (letters, digits, C(.), C(_), C(-)). Empty only lists.
    type: str
    default: ""
  files:
    description:
      - The files to keep, by the name of their copy in the snapshot (a plain file name, not C(manifest.json)) and
        their absolute source path. Only with O(name).
    type: dict
    default: {}
  images:
    description:
      - The image each service runs, by service. Each is a dict with C(id), the image id to keep (what
        C(docker inspect) gives as the container's C(Image)), and C(rollback_tag), the C(repository:tag) to keep
        it under. C(image), the name the container was created from, is kept in the manifest. Only with O(name).
    type: dict
    default: {}
  manifest:
    description:
      - Further keys of C(manifest.json). The module adds C(release_id) (O(name)), C(created) (UTC, ISO 8601),
        C(files) (the names of O(files)) and C(images) (O(images)). Only with O(name).
    type: dict
    default: {}
requirements:
  - The C(docker) CLI on the host when O(images) is not empty.
"""

EXAMPLES = r"""
- name: Keep the memcached release before the cutover
  revisbali.business_suite.release_snapshot:
    snapshots_dir: /srv/business_suite/.cutover/snapshots
    name: 20261206T041500Z
    files:
      env: /srv/business_suite/.env
      docker-compose.yml: /srv/business_suite/docker-compose.yml
    images:
      bs-core: {image: "bs-app:web", id: "sha256:1c0d...", rollback_tag: "bs-app:rollback-20261206T041500Z"}
    manifest:
      release: memcached

- name: List the snapshots
  revisbali.business_suite.release_snapshot:
    snapshots_dir: /srv/business_suite/.cutover/snapshots
  register: kept
"""

RETURN = r"""
path:
  description: The snapshot directory written (or that check mode would write); empty when only listing.
  returned: always
  type: str
  sample: /srv/business_suite/.cutover/snapshots/20261206T041500Z
written:
  description: The names of O(files) whose copy was written (or would be), and C(manifest.json) when it was.
  returned: always
  type: list
  elements: str
  sample: [env, docker-compose.yml, manifest.json]
tagged:
  description: The rollback tags that were set (or would be); a tag already on its image is not listed.
  returned: always
  type: list
  elements: str
  sample: ["bs-app:rollback-20261206T041500Z"]
snapshots:
  description:
    - Every directory under O(snapshots_dir) (hidden ones and links left out), sorted by name, after the write
      (as it is now in check mode). C(manifest) is the parsed C(manifest.json), or null when it is missing or not
      JSON (a snapshot an interrupted run left).
  returned: always
  type: list
  elements: dict
  sample:
    - {name: 20261206T041500Z, path: /srv/business_suite/.cutover/snapshots/20261206T041500Z,
       manifest: {release_id: 20261206T041500Z, release: memcached, files: [env, docker-compose.yml]}}
reason:
  description: Why the module failed. V(input) (a parameter is invalid; nothing was written), V(file) (a source
    could not be read or the snapshot could not be written) or V(container) (the C(docker) CLI could not read or
    tag an image).
  returned: failure
  type: str
  sample: file
"""

import json
import os
import re
from datetime import datetime, timezone

from ansible.module_utils.common.text.converters import to_native

from ansible_collections.revisbali.business_suite.plugins.module_utils import private_file
from ansible_collections.revisbali.business_suite.plugins.module_utils.docker_cli import Docker
from ansible_collections.revisbali.business_suite.plugins.module_utils.errors import ProbeError
from ansible_collections.revisbali.business_suite.plugins.module_utils.probe_module import ProbeModule

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
MANIFEST = "manifest.json"

ARGUMENT_SPEC = dict(
    snapshots_dir=dict(type="path", required=True),
    name=dict(type="str", default=""),
    files=dict(type="dict", default={}),
    images=dict(type="dict", default={}),
    manifest=dict(type="dict", default={}),
)


def check_input(params):
    if not os.path.isabs(params["snapshots_dir"]):
        raise ProbeError("input", "snapshots_dir must be an absolute path, got %r" % params["snapshots_dir"])
    if not params["name"]:
        if params["files"] or params["images"] or params["manifest"]:
            raise ProbeError("input", "files, images and manifest need a name: the snapshot to write")
        return
    if not NAME_RE.match(params["name"]):
        raise ProbeError("input", "name must be a directory name (letters, digits, . _ -), got %r" % params["name"])
    for copy, src in params["files"].items():
        if not NAME_RE.match(copy) or copy == MANIFEST:
            raise ProbeError("input", "files: %r is not a plain file name other than %s" % (copy, MANIFEST))
        if not isinstance(src, str) or not os.path.isabs(src):
            raise ProbeError("input", "files.%s must be an absolute path, got %r" % (copy, src))
    for service, image in params["images"].items():
        fields = [image.get(key) for key in ("id", "rollback_tag")] if isinstance(image, dict) else [None]
        if not all(isinstance(field, str) and field for field in fields):
            raise ProbeError("input", "images.%s must have an id and a rollback_tag, got %r" % (service, image))


def read_manifest(directory):
    try:
        with open(os.path.join(directory, MANIFEST), "rb") as handle:
            manifest = json.loads(handle.read())
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def listing(snapshots_dir):
    try:
        entries = sorted(os.scandir(snapshots_dir), key=lambda entry: entry.name)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise ProbeError("file", "cannot list %s: %s" % (snapshots_dir, to_native(exc))) from None
    return [{"name": e.name, "path": e.path, "manifest": read_manifest(e.path)}
            for e in entries if e.is_dir(follow_symlinks=False) and not e.name.startswith(".")]  # fmt: skip


def missing_dirs(path):
    """``path`` and each of its parents that does not exist, outermost first."""
    missing = []
    while not os.path.isdir(path):
        missing.insert(0, path)
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return missing


def tags_to_set(docker, images):
    """(id, tag) pairs whose tag does not already name that image, once each."""
    wanted = {}
    for image in images.values():
        wanted.setdefault(image["rollback_tag"], image["id"])
    if wanted and not docker.cli:
        raise ProbeError("container", "no docker CLI in PATH to tag %s" % ", ".join(sorted(wanted)))
    present = {}
    for doc in docker.inspect("image", "inspect", *sorted(wanted)) if wanted else []:
        for tag in doc.get("RepoTags") or []:
            present[tag] = doc.get("Id", "")
    return [(image_id, tag) for tag, image_id in sorted(wanted.items()) if present.get(tag) != image_id]


def manifest_text(params, directory):
    manifest = dict(params["manifest"], release_id=params["name"], files=list(params["files"]), images=params["images"])
    kept = read_manifest(directory) or {}
    manifest["created"] = datetime.now(timezone.utc).isoformat()
    if dict(kept, created=None) == dict(manifest, created=None):
        manifest["created"] = kept.get("created")  # same snapshot: written once
    return (json.dumps(manifest, indent=4, sort_keys=True) + "\n").encode("utf-8")


def make_dir(path):
    try:
        if not os.path.isdir(path):
            os.mkdir(path, 0o700)
        if os.stat(path).st_mode & 0o777 != 0o700:
            os.chmod(path, 0o700)
    except OSError as exc:
        raise ProbeError("file", "cannot create %s: %s" % (path, to_native(exc))) from None


def plan(docker, params):
    """What writing the snapshot changes; reads everything it needs first, so a bad source stops it before."""
    directory = os.path.join(params["snapshots_dir"], params["name"])
    sources = dict((copy, private_file.read_bytes(src)) for copy, src in params["files"].items())
    manifest = manifest_text(params, directory)
    dirs = [*missing_dirs(os.path.dirname(params["snapshots_dir"])), params["snapshots_dir"], directory]
    copies = dict((os.path.join(directory, copy), data) for copy, data in sources.items())
    written_manifest = private_file.read_bytes(os.path.join(directory, MANIFEST), missing=b"")
    return {
        "directory": directory,
        "dirs": [d for d in dirs if not os.path.isdir(d) or os.stat(d).st_mode & 0o777 != 0o700],
        "files": dict((path, data) for path, data in copies.items() if not private_file.holds_private(path, data)),
        "tags": tags_to_set(docker, params["images"]),
        "manifest": None if written_manifest == manifest else manifest,
    }


def apply(docker, todo):
    for path in todo["dirs"]:
        make_dir(path)
    for path, data in todo["files"].items():
        private_file.write_private(path, data, ".snapshot-")
    for image_id, tag in todo["tags"]:
        rc, out, err = docker.run("image", "tag", image_id, tag)
        if rc != 0:
            raise ProbeError("container", "docker image tag %s %s failed: %s" % (image_id, tag, err or out.strip()))
    if todo["manifest"] is not None:  # last: a snapshot with a manifest is a whole one
        private_file.write_private(os.path.join(todo["directory"], MANIFEST), todo["manifest"], ".snapshot-")


def snapshot(module):
    check_input(module.params)
    result = {"changed": False, "path": "", "written": [], "tagged": []}
    if module.params["name"]:
        docker = Docker(module)
        todo = plan(docker, module.params)
        result.update(
            path=todo["directory"],
            written=[os.path.basename(p) for p in todo["files"]] + ([MANIFEST] if todo["manifest"] is not None else []),
            tagged=[pair[1] for pair in todo["tags"]],
            changed=bool(todo["dirs"] or todo["files"] or todo["tags"] or todo["manifest"] is not None),
        )
        if not module.check_mode:
            apply(docker, todo)
    result["snapshots"] = listing(module.params["snapshots_dir"])
    return result


def main():
    module = ProbeModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.run(snapshot)


if __name__ == "__main__":
    main()
