"""Django's `migrate`, connected as the owner of the tables (MIGRATE_DATABASE_URL).

The dashboard and the worker connect as a role that may not create, alter or own tables.
Every step of a migration run (schema changes, data migrations, post-migrate hooks) goes
through the default connection, so it is the owner's for the whole run. Without
MIGRATE_DATABASE_URL the owner is DATABASE_URL's user, as in development.
"""

from django.core.management.commands import migrate

from hostup_dash.core.database import owner_connection


class Command(migrate.Command):
    help = "Apply migrations as the owner of the tables (MIGRATE_DATABASE_URL, or DATABASE_URL when unset)."

    def handle(self, *args, **options) -> None:
        with owner_connection():
            super().handle(*args, **options)
