"""A stock PgQueuer worker, built the way RevisBaliCRM's ``business_suite/pgqueue.py`` builds its own
(commit 154a9356): one psycopg ``AsyncConnection`` with autocommit, PgQueuer's schema installed through
``Queries.from_psycopg_connection``, ``PgQueuer.from_psycopg_connection`` over the same connection and its
entrypoints registered on it. Run it as the app's worker runs (``pgq run business_suite.pgqueue:factory``):

    python -m pgqueuer run stock_pgqueuer_worker:factory

with this directory on PYTHONPATH. Nothing of the collection is imported: this is PgQueuer's own code.

Environment: ``STOCK_WORKER_DSN`` (libpq conninfo), ``STOCK_WORKER_ENTRYPOINTS`` (comma separated; each
is registered as a no-op, like an app that registers a probe entrypoint, or only real ones),
``STOCK_WORKER_INSTALL=0`` for a second worker on a database whose schema the first one installed (the
app's factory installs unconditionally, which a second start on the same database does not survive).
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager


@asynccontextmanager
async def factory():
    import psycopg
    from pgqueuer import PgQueuer
    from pgqueuer.queries import Queries

    connection = await psycopg.AsyncConnection.connect(os.environ["STOCK_WORKER_DSN"], autocommit=True)
    try:
        queries = Queries.from_psycopg_connection(connection)
        if os.environ.get("STOCK_WORKER_INSTALL", "1") == "1":
            await queries.install()
        await queries.upgrade()

        pgq = PgQueuer.from_psycopg_connection(connection)

        def register(name):
            @pgq.entrypoint(name)
            async def _noop(job) -> None:
                return None

        for name in filter(None, os.environ.get("STOCK_WORKER_ENTRYPOINTS", "").split(",")):
            register(name)
        yield pgq
    finally:
        await connection.close()
