import asyncio

from django.core.management.base import BaseCommand

from business_suite.pgqueue import connect, ensure_schema


class Command(BaseCommand):
    help = "Install PgQueuer's schema if absent and upgrade it (idempotent; safe to run concurrently)."

    def handle(self, *args, **options):
        asyncio.run(_ensure_schema())
        self.stdout.write("PgQueuer schema is up to date")


async def _ensure_schema() -> None:
    connection = await connect()
    try:
        await ensure_schema(connection)
    finally:
        await connection.close()
