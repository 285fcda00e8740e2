"""Create the configured PostgreSQL database when it does not exist yet."""

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from psycopg import sql


class Command(BaseCommand):
    help = "Create the database named by DATABASE_URL if it is missing."

    def handle(self, *args, **options) -> str:
        db = settings.DATABASES["default"]
        params = {
            "host": db.get("HOST") or None,
            "port": db.get("PORT") or None,
            "user": db.get("USER") or None,
            "password": db.get("PASSWORD") or None,
        }
        try:
            # The maintenance database always exists; CREATE DATABASE cannot run in a transaction.
            with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
                exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone()
                if exists:
                    return f"Database {db['NAME']} exists."
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
        except psycopg.OperationalError as error:
            raise CommandError(
                f"Cannot reach PostgreSQL at {params['host']}:{params['port'] or 5432} ({error}). "
                "Install it (apt-get install postgresql) or set DATABASE_URL to a reachable server."
            ) from None
        return f"Created database {db['NAME']}."
