"""The two PostgreSQL users (README "Production").

The dashboard and the worker connect as DATABASE_URL's least-privilege role; `migrate` and
`db_roles` connect as the owner of the tables, MIGRATE_DATABASE_URL. Both name one database.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

# The audit tables by name, so core imports no feature app: every table of the audit app, today's and later ones.
AUDIT_TABLES_LIKE = "audit\\_%"
# What MIGRATE_DATABASE_URL changes: who connects, and through which server address. The database name
# stays DATABASE_URL's, which under tests is the test database.
OWNER_KEYS = ("USER", "PASSWORD", "HOST", "PORT")


def owner_settings() -> dict[str, Any]:
    """The default database's settings with the owner's credentials."""
    owner = {key: settings.MIGRATE_DATABASE[key] for key in OWNER_KEYS}
    return {**connections[DEFAULT_DB_ALIAS].settings_dict, **owner}


def psycopg_params(database: dict[str, Any]) -> dict[str, Any]:
    """psycopg.connect() keywords for Django database settings (empty values: libpq's defaults)."""
    keys = {"host": "HOST", "port": "PORT", "user": "USER", "password": "PASSWORD", "dbname": "NAME"}
    return {param: database[key] or None for param, key in keys.items()}


@contextmanager
def owner_connection() -> Iterator[None]:
    """Django's default connection is the owner's inside the block, and as before after it."""
    connection = connections[DEFAULT_DB_ALIAS]
    runtime = {key: connection.settings_dict[key] for key in OWNER_KEYS}
    connection.close()
    connection.settings_dict.update(owner_settings())
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(runtime)
