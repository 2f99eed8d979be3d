from __future__ import annotations

import pytest

from ansible_collections.revisbali.business_suite.plugins.module_utils import deps, postgres_connection
from ansible_collections.revisbali.business_suite.plugins.module_utils.probe import InputError


def params(**overrides):
    values = {name: spec.get("default") for name, spec in postgres_connection.POSTGRES_CONNECTION_SPEC.items()}
    values.update(overrides)
    return values


def test_options_become_libpq_keywords():
    conninfo = postgres_connection.resolve_conninfo(
        params(db_host="db", db_name="app", db_user="app", db_password="pw", sslmode="require"), "probe"
    )
    assert conninfo == dict(host="db", port=5432, dbname="app", user="app", password="pw", sslmode="require",
                            connect_timeout=5, application_name="probe")  # fmt: skip
    assert postgres_connection.describe(conninfo) == "db:5432 db app"


@pytest.mark.parametrize(
    "dsn",
    ["postgresql://app:pw@db:5433/app?sslmode=disable", "host=db port=5433 dbname=app user=app password=pw"],
)
def test_dsn_forms(dsn):
    conninfo = postgres_connection.resolve_conninfo(params(dsn=dsn, db_host=None, db_port=None), "probe")
    assert conninfo["host"] == "db" and conninfo["port"] == "5433" and conninfo["password"] == "pw"
    assert conninfo["connect_timeout"] == 5


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (dict(dsn="host=db password=s3cret port"), "dsn: is not a valid libpq connection string"),
        (dict(dsn="postgresql://app:s3cret@db/app?bogus=1"), "dsn: is not a valid"),
        (dict(db_port=70000), "db_port: 70000 is outside 1-65535"),
        (dict(connect_timeout=0), "connect_timeout: must be greater than 0"),
    ],
)
def test_bad_input_names_the_field_never_the_secret(overrides, message):
    with pytest.raises(InputError) as raised:
        postgres_connection.resolve_conninfo(params(**overrides), "probe")
    assert message in raised.value.msg and "s3cret" not in raised.value.msg


class FakePgError(deps.psycopg.OperationalError):
    def __init__(self, message, sqlstate=None):
        self._state = sqlstate
        super().__init__(message)

    @property
    def sqlstate(self):
        return self._state


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (FakePgError('password authentication failed for user "app"', "28P01"), "auth"),
        (FakePgError('connection failed: FATAL:  password authentication failed for user "app"'), "auth"),
        (FakePgError("no pg_hba.conf entry for host", "28000"), "auth"),
        (FakePgError("permission denied for table pgqueuer", "42501"), "acl"),
        (FakePgError('relation "pgqueuer" does not exist', "42P01"), "backend"),
        (FakePgError("connection to server at 127.0.0.1, port 1 failed: Connection refused"), "unreachable"),
        (FakePgError('database "nope" does not exist', "3D000"), "unreachable"),
    ],
)
def test_classify(exc, reason):
    assert postgres_connection.classify(exc) == reason
