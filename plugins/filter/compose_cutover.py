# -*- coding: utf-8 -*-
# Copyright (c) RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters compose_to_redis and compose_to_memcached: the cutover's edits of a live compose file.

Each filter is documented in its own file beside this one (compose_to_redis.yml,
compose_to_memcached.yml): ansible-doc reads a filter's documentation from a file named after it
when the plugin file holds several filters.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.revisbali.business_suite.plugins.plugin_utils import compose_edit


def _plain(value):
    """Plain Python values: Ansible hands filters its own (tagged) str/dict/list subclasses, which
    a YAML dumper does not know how to write."""
    if isinstance(value, Mapping):
        return {_plain(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    for kind in (bool, int, float, str):
        if isinstance(value, kind):
            return kind(value)
    return value


def _run(name, edit, text, options):
    if not isinstance(text, str):
        raise AnsibleFilterError("%s: the input must be the compose file's text, got %s" % (name, type(text).__name__))
    try:
        result = edit(str(text), **{str(key): _plain(value) for key, value in options.items()})
    except compose_edit.ComposeEditError as exc:
        raise AnsibleFilterError(to_text(exc)) from None
    except TypeError as exc:  # an unknown or missing option
        raise AnsibleFilterError("%s: %s" % (name, to_text(exc))) from None
    return {"text": result.text, "changes": list(result.changes)}


def compose_to_redis(text, **options):
    return _run("compose_to_redis", compose_edit.to_redis, text, options)


def compose_to_memcached(text, **options):
    return _run("compose_to_memcached", compose_edit.to_memcached, text, options)


class FilterModule(object):
    def filters(self):
        return {"compose_to_redis": compose_to_redis, "compose_to_memcached": compose_to_memcached}
