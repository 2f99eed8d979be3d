"""Session-scoped real servers for the module integration tests: redis-server (plain, with
users and ACLs, with TLS) and a PostgreSQL 15 cluster with PgQueuer's schema."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from .servers import PostgresServer, RedisServer, TlsFiles, make_tls_files

# ACL users for the auth/acl cases; the default user needs a password (requirepass).
REDIS_USERS = """
user default on >default-secret-pw ~* &* +@all
user app on >app-secret-pw ~* &* +@all
user noeval on >noeval-secret-pw ~* &* +@all -eval -evalsha
user noinfo on >noinfo-secret-pw ~* &* +@all -info
maxmemory 0
"""
REDIS_PASSWORDS = ("default-secret-pw", "app-secret-pw", "noeval-secret-pw", "noinfo-secret-pw")

PG_APP_PASSWORD = "pg-app-secret-pw"
PG_OUTSIDER_PASSWORD = "pg-outsider-secret-pw"
SCHEMA_SQL = (Path(__file__).parent / "pgqueuer_schema.sql").read_text()


@pytest.fixture(scope="session")
def server_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("servers")


def _serve(server):
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_plain(server_dir):
    """No auth, maxmemory 64mb, allkeys-lru; also on the unix socket ``server.sock`` in ``server_dir``."""
    yield from _serve(RedisServer(server_dir, extra_config=f"unixsocket {server_dir}/server.sock\nunixsocketperm 700"))


@pytest.fixture(scope="session")
def redis_acl(server_dir):
    """requirepass plus ACL users (one without EVAL, one without INFO); maxmemory 0."""
    yield from _serve(RedisServer(server_dir, extra_config=REDIS_USERS))


@pytest.fixture(scope="session")
def tls_files(server_dir) -> TlsFiles:
    directory = server_dir / "tls"
    directory.mkdir()
    return make_tls_files(directory)


@pytest.fixture(scope="session")
def redis_tls(server_dir, tls_files):
    """TLS only, client certificates required."""
    tls_args = [
        "--tls-cert-file", str(tls_files.server_cert),
        "--tls-key-file", str(tls_files.server_key),
        "--tls-ca-cert-file", str(tls_files.ca_cert),
        "--tls-auth-clients", "yes",
    ]  # fmt: skip
    yield from _serve(RedisServer(server_dir, tls_args=tls_args))


@dataclass
class Postgres:
    server: PostgresServer
    port: int

    def dsn(self, dbname: str = "app", user: str = "app", password: str = PG_APP_PASSWORD) -> str:
        return f"host=127.0.0.1 port={self.port} dbname={dbname} user={user} password={password}"

    def params(self, dbname: str = "app", user: str = "app", password: str = PG_APP_PASSWORD) -> dict:
        """pgqueuer_probe's connection options."""
        return dict(db_host="127.0.0.1", db_port=self.port, db_name=dbname, db_user=user, db_password=password)

    def sql(self, statement: str, dbname: str = "app") -> None:
        self.server.psql(statement, dbname=dbname)


@pytest.fixture(scope="session")
def postgres():
    """Database ``app`` owned by role ``app`` with PgQueuer's schema; ``empty`` without it;
    role ``outsider`` may connect to ``app`` but not read the queue."""
    server = PostgresServer().start()
    try:
        server.psql(
            f"CREATE ROLE app LOGIN PASSWORD '{PG_APP_PASSWORD}';"
            f"CREATE ROLE outsider LOGIN PASSWORD '{PG_OUTSIDER_PASSWORD}';"
            "CREATE DATABASE app OWNER app; CREATE DATABASE empty OWNER app;"
        )
        server.psql("SET ROLE app;\n" + SCHEMA_SQL, dbname="app")
        yield Postgres(server=server, port=server.port)
    finally:
        server.stop()


@pytest.fixture
def clean_queue(postgres):
    """Each test starts with an empty queue and log."""
    postgres.sql("TRUNCATE pgqueuer, pgqueuer_log")
    yield
    postgres.sql("TRUNCATE pgqueuer, pgqueuer_log")
