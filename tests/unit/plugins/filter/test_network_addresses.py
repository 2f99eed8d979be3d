"""network_addresses: where each named container is on the stack's network, '' where it cannot be reached."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.revisbali.business_suite.plugins.filter.network_addresses import network_addresses

NAMES = {"db": "postgres-srv", "redis": "bs-redis"}


def on(network, address):
    return {"exists": True, "container": {"NetworkSettings": {"Networks": {network: {"IPAddress": address}}}}}


def test_each_container_gives_its_address_on_the_network():
    found = {"postgres-srv": on("dockernet", "172.31.0.10"), "bs-redis": on("dockernet", "172.31.0.30")}
    assert network_addresses(found, NAMES, "dockernet") == {"db": "172.31.0.10", "redis": "172.31.0.30"}


@pytest.mark.parametrize(
    "found",
    [
        {},  # never read
        {"postgres-srv": {"exists": False, "container": None}, "bs-redis": {"exists": False}},
        {"postgres-srv": on("other", "10.0.0.2"), "bs-redis": on("dockernet", "")},  # another network; stopped
    ],
)
def test_a_container_that_cannot_be_reached_gives_an_empty_address(found):
    assert network_addresses(found, NAMES, "dockernet") == {"db": "", "redis": ""}


def test_unusable_input_is_refused_with_a_message():
    with pytest.raises(AnsibleFilterError, match="network_addresses"):
        network_addresses([], NAMES, "dockernet")
