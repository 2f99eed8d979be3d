# -*- coding: utf-8 -*-
# Copyright (c) 2026, RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Redis connection options, written once: top-level options of redis_smoke and the
sub-options of pgqueuer_probe's ``redis``."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

_CONNECTION_OPTIONS = r"""
url:
  description:
    - Redis URL, V(redis://[user[:password]@]host:port/db); V(rediss://) connects with TLS,
      V(unix:///path/to/redis.sock?db=N) through a socket.
    - Mutually exclusive with the C(host), C(port), C(db), C(username) and C(password) options.
    - Treated as a secret; the module never repeats it in messages.
  type: str
host:
  description:
    - Redis host name or address.
  type: str
  default: localhost
port:
  description:
    - Redis TCP port, 1-65535.
  type: int
  default: 6379
db:
  description:
    - Redis database number, 0 or more.
  type: int
  default: 0
username:
  description:
    - Redis ACL user. Without it, V(default) (or C(requirepass)) applies.
  type: str
password:
  description:
    - Password of the C(username) user, or the C(requirepass) password.
  type: str
tls:
  description:
    - Connect with TLS. Implied by a V(rediss://) URL and contradicting a V(redis://) one.
    - Off when not set.
  type: bool
validate_certs:
  description:
    - Verify the server certificate and its host name when TLS is on.
    - Turn off only for a server whose certificate you control and cannot make valid.
  type: bool
  default: true
ca_cert:
  description:
    - CA bundle that signed the server certificate; the system trust store when not set. Needs TLS.
  type: path
client_cert:
  description:
    - Client certificate for servers with C(tls-auth-clients yes). Needs TLS.
  type: path
client_key:
  description:
    - Private key of the C(client_cert) certificate, when not inside it. Needs C(client_cert).
  type: path
connect_timeout:
  description:
    - Seconds to wait for the connection and for each reply, greater than 0.
    - No retries, so the first failure is reported as it is.
  type: float
  default: 5
"""


def _indent(text, spaces):
    return "".join((" " * spaces + line) if line.strip() else line for line in text.splitlines(True))


class ModuleDocFragment(object):
    DOCUMENTATION = (
        "options:"
        + _indent(_CONNECTION_OPTIONS, 2)
        + r"""
requirements:
  - redis (redis-py) 4.3 or later on the managed host
"""
    )

    # pgqueuer_probe: the same options as the sub-options of its ``redis`` dict.
    BROKER = r"""
options:
  redis:
    description:
      - How to reach the Redis server of the Redis broker; required when O(broker=redis).
      - Takes the same connection options as M(revisbali.business_suite.redis_smoke).
      - Pub/sub ignores the database number.
    type: dict
    suboptions:""" + _indent(_CONNECTION_OPTIONS, 6)
