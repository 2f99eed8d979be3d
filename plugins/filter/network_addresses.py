# -*- coding: utf-8 -*-
# Copyright (c) RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: network_addresses
short_description: The IPv4 address of each named container on one Docker network, from a stack_facts read
version_added: 0.1.0
description:
  - Gives, for each key of O(names), the IPv4 address that the container it names has on O(network), or an empty
    string when that container was not found, is not on the network, or has no address there (it is not running).
  - Used by the redis_cutover role to find where its probes reach PostgreSQL and Redis from the host.
extends_documentation_fragment:
  - revisbali.business_suite.stack_facts_containers
options:
  names:
    description: Key to container name; the result has the same keys.
    type: dict
    required: true
  network:
    description: The network's name.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Where the database and Redis are
  ansible.builtin.debug:
    # {db: 172.31.0.10, redis: 172.31.0.30}
    msg: "{{ read.containers | revisbali.business_suite.network_addresses(names, 'dockernet') }}"
  vars:
    names: {db: postgres-srv, redis: bs-redis}
"""

RETURN = r"""
_value:
  description: Key of O(names) to an IPv4 address, or an empty string.
  type: dict
"""

from ansible.errors import AnsibleFilterError


def network_addresses(found, names, network):
    if not isinstance(found, dict) or not isinstance(names, dict):
        raise AnsibleFilterError("network_addresses: the containers read and the names must be mappings")
    addresses = {}
    for key, name in names.items():
        container = (found.get(name) or {}).get("container") or {}
        networks = (container.get("NetworkSettings") or {}).get("Networks") or {}
        addresses[key] = (networks.get(network) or {}).get("IPAddress") or ""
    return addresses


class FilterModule(object):
    def filters(self):
        return {"network_addresses": network_addresses}
