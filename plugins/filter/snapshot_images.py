# -*- coding: utf-8 -*-
# Copyright (c) RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: snapshot_images
short_description: The image each running service of a release uses, and the rollback tag a snapshot keeps it under
version_added: 0.1.0
description:
  - Gives, for each service of O(services) whose container was found, the image reference the container was created
    from (C(Config.Image)), the image id it runs (C(Image)) and C(rollback_tag), the tag on that image's repository
    that keeps the image for a rollback (C(<repository>:rollback-<release_id>)). A service without a container is
    left out.
  - The repository drops the reference's tag and digest, so an image pinned by digest
    (C(memcached@sha256:...)) is kept as C(memcached:rollback-<release_id>), a valid tag.
  - Used by the redis_cutover role for the images of a snapshot (P(revisbali.business_suite.release_snapshot#module)).
extends_documentation_fragment:
  - revisbali.business_suite.stack_facts_containers
options:
  services:
    description: Service to container name; the result has the services whose container exists.
    type: dict
    required: true
  release_id:
    description: The snapshot's name, the suffix of the rollback tags.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: The images a snapshot keeps
  ansible.builtin.debug:
    # {memcached: {image: memcached:1.6, id: sha256:..., rollback_tag: memcached:rollback-20261203T000000Z}}
    msg: "{{ read.containers | revisbali.business_suite.snapshot_images(services, '20261203T000000Z') }}"
  vars:
    services: {memcached: memcached-srv}
"""

RETURN = r"""
_value:
  description: Service to C(image), C(id) and C(rollback_tag).
  type: dict
"""

import re

from ansible.errors import AnsibleFilterError

# A reference's digest (@sha256:...), then its tag (a last :part with no / in it, so a registry's port stays).
_DIGEST = re.compile(r"@[^@]*$")
_TAG = re.compile(r":[^:/]+$")


def rollback_tag(image, release_id):
    return "%s:rollback-%s" % (_TAG.sub("", _DIGEST.sub("", image)), release_id)


def snapshot_images(found, services, release_id):
    if not isinstance(found, dict) or not isinstance(services, dict):
        raise AnsibleFilterError("snapshot_images: the containers read and the services must be mappings")
    images = {}
    for service, name in services.items():
        read = found.get(name) or {}
        if not read.get("exists"):
            continue
        container = read.get("container") or {}
        image = (container.get("Config") or {}).get("Image")
        if not image or not container.get("Image"):
            raise AnsibleFilterError("snapshot_images: container %s of %s has no image in its read" % (name, service))
        images[service] = {"image": image, "id": container["Image"], "rollback_tag": rollback_tag(image, release_id)}
    return images


class FilterModule(object):
    def filters(self):
        return {"snapshot_images": snapshot_images}
