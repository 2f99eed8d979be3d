"""Real redis-server and PostgreSQL 15 processes on 127.0.0.1 ephemeral ports, for tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_OS_USER = "postgres"  # PostgreSQL refuses to run as root


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


@dataclass
class RedisServer:
    """One redis-server; ``port`` is the TLS port when ``tls_args`` are given."""

    workdir: Path
    extra_config: str = ""
    tls_args: list[str] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        config = self.workdir / f"redis-{self.port}.conf"
        config.write_text(
            'bind 127.0.0.1\nsave ""\nappendonly no\nmaxmemory 64mb\nmaxmemory-policy allkeys-lru\n'
            f"dir {self.workdir}\n{self.extra_config}\n"
        )
        listen = (
            ["--port", "0", "--tls-port", str(self.port), *self.tls_args]
            if self.tls_args
            else ["--port", str(self.port)]
        )
        self.process = subprocess.Popen(
            ["redis-server", str(config), *listen],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)


@dataclass
class TlsFiles:
    ca_cert: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    other_ca_cert: Path  # a CA that signed nothing here: verification must fail with it


def make_tls_files(directory: Path) -> TlsFiles:
    """A CA, a server certificate for 127.0.0.1/localhost and a client certificate (openssl, EC keys)."""

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=directory)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for ca in ("ca", "other-ca"):
        run("req", "-x509", *ec, "-keyout", f"{ca}.key", "-out", f"{ca}.crt", "-days", "2", "-subj", f"/CN=test {ca}")
    (directory / "server.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for name in ("server", "client"):
        run("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
        extfile = ["-extfile", "server.ext"] if name == "server" else []
        run(
            "x509",
            "-req",
            "-in",
            f"{name}.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            f"{name}.crt",
            "-days",
            "2",
            *extfile,
        )
    return TlsFiles(
        ca_cert=directory / "ca.crt",
        server_cert=directory / "server.crt",
        server_key=directory / "server.key",
        client_cert=directory / "client.crt",
        client_key=directory / "client.key",
        other_ca_cert=directory / "other-ca.crt",
    )


@dataclass
class PostgresServer:
    """A throw-away PostgreSQL 15 cluster run by the ``postgres`` OS user; TCP clients use scram."""

    port: int = field(default_factory=free_port)
    datadir: Path | None = None

    def _as_postgres(self, *argv: str, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(["runuser", "-u", PG_OS_USER, "--", *argv], check=True, capture_output=True, **kwargs)

    def start(self) -> PostgresServer:
        root = Path(tempfile.mkdtemp(prefix="bs-pg-"))
        shutil.chown(root, PG_OS_USER)
        self.datadir = root / "data"
        self._as_postgres(
            str(PG_BIN / "initdb"),
            "-D",
            str(self.datadir),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--no-instructions",
        )
        (self.datadir / "pg_hba.conf").write_text(
            "local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n"
        )
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {root} -c fsync=off -c full_page_writes=off"
        self._as_postgres(
            str(PG_BIN / "pg_ctl"), "-D", str(self.datadir), "-o", options, "-l", str(root / "log"), "-w", "start"
        )
        return self

    def psql(self, sql: str, dbname: str = "postgres", user: str = "postgres") -> None:
        """Runs SQL as the superuser over TCP (trusted for ``postgres`` only)."""
        subprocess.run(
            [
                str(PG_BIN / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                user,
                "-d",
                dbname,
                "-v",
                "ON_ERROR_STOP=1",
                "-q",
                "-f",
                "-",
            ],
            input=sql.encode(),
            check=True,
            capture_output=True,
            env={**os.environ, "PGCONNECT_TIMEOUT": "5"},
        )

    def stop(self) -> None:
        if self.datadir:
            self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "-w", "stop")
            shutil.rmtree(self.datadir.parent, ignore_errors=True)
