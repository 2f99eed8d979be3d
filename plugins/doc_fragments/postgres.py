# -*- coding: utf-8 -*-
# Copyright (c) 2026, RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The PostgreSQL connection options, written once."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  dsn:
    description:
      - libpq connection string (V(host=db port=5432 dbname=app user=app)) or URL
        (V(postgresql://user:password@db:5432/app)).
      - Mutually exclusive with O(db_host), O(db_port), O(db_name), O(db_user), O(db_password) and O(db_env_file).
      - Treated as a secret; the module never repeats it in messages.
    type: str
  db_host:
    description:
      - PostgreSQL host name, address or socket directory.
    type: str
    default: localhost
  db_port:
    description:
      - PostgreSQL port, 1-65535.
    type: int
    default: 5432
  db_name:
    description:
      - Database that holds the PgQueuer tables. libpq's default (the user name) when not set.
    type: str
  db_user:
    description:
      - PostgreSQL role to connect as.
    type: str
  db_password:
    description:
      - Password of O(db_user).
    type: str
  db_env_file:
    description:
      - A C(.env) file on the managed host (the stack's own) whose C(DB_NAME), C(DB_USER) and C(DB_PASS) give
        O(db_name), O(db_user) and O(db_password) where those are not set, so the credentials never leave the host.
      - A file that cannot be read fails with RV(reason=file), one that is not a parseable C(.env) with
        RV(reason=format). A key it lacks leaves the option unset.
    type: path
  sslmode:
    description:
      - libpq C(sslmode); libpq's default (V(prefer)) when not set.
    type: str
    choices: [disable, allow, prefer, require, verify-ca, verify-full]
  connect_timeout:
    description:
      - Seconds libpq waits for the connection, greater than 0 (libpq treats 1 as 2).
    type: int
    default: 5
requirements:
  - psycopg 3.1 or later on the managed host
"""
