"""snapshot_images: the image each running service uses, and a rollback tag that is a valid tag on the image's
repository (also for an image pinned by digest, where appending a tag to the reference gave the invalid
``repo@sha256:rollback-<id>``)."""

import re

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.revisbali.business_suite.plugins.filter.snapshot_images import snapshot_images

DIGEST = "sha256:" + "ab" * 32
RELEASE = "20261203T000000Z"
# docker's reference grammar for a tag: repository[:port]/path:tag with tag [\w][\w.-]{0,127}
TAGGED = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*:[\w][\w.-]{0,127}$")


def running(image, image_id="sha256:" + "cd" * 32):
    """A container as stack_facts reads it."""
    return {"exists": True, "container": {"Config": {"Image": image}, "Image": image_id}}


@pytest.mark.parametrize(
    "image, tag",
    [
        ("bs-app:release-memcached", "bs-app:rollback-20261203T000000Z"),
        ("memcached", "memcached:rollback-20261203T000000Z"),
        (
            "registry.example.internal:5000/ops/memcached:1.6",
            "registry.example.internal:5000/ops/memcached:rollback-20261203T000000Z",
        ),
        (f"memcached@{DIGEST}", "memcached:rollback-20261203T000000Z"),
        (
            f"registry.example.internal:5000/memcached:1.6@{DIGEST}",
            "registry.example.internal:5000/memcached:rollback-20261203T000000Z",
        ),
    ],
)
def test_the_rollback_tag_is_a_tag_on_the_image_repository(image, tag):
    images = snapshot_images({"memcached-srv": running(image)}, {"memcached": "memcached-srv"}, RELEASE)
    assert images == {"memcached": {"image": image, "id": "sha256:" + "cd" * 32, "rollback_tag": tag}}
    assert TAGGED.match(tag)


def test_a_service_without_a_container_is_left_out():
    found = {"bs-core": running("bs-app:web", "sha256:1"), "bs-worker": {"exists": False, "container": None}}
    services = {"bs-core": "bs-core", "bs-worker": "bs-worker", "memcached": "memcached-srv"}  # memcached: never read
    assert list(snapshot_images(found, services, RELEASE)) == ["bs-core"]


@pytest.mark.parametrize(
    "found, services",
    [
        ([], {"bs-core": "bs-core"}),
        ({}, ["bs-core"]),
        ({"bs-core": {"exists": True, "container": {"Config": {}}}}, {"bs-core": "bs-core"}),
    ],
)
def test_bad_input_is_refused_with_a_message(found, services):
    with pytest.raises(AnsibleFilterError, match="snapshot_images"):
        snapshot_images(found, services, RELEASE)
