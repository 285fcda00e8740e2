"""Print, or with --apply run, the SQL that makes DATABASE_URL's user the dashboard's least-privilege role.

The role may read and write the application's tables, use their sequences and call
Procrastinate's functions, but on the audit tables (found by name when the command runs)
only SELECT and INSERT. It owns nothing and is no superuser, so it can neither switch the
append-only triggers off nor set session_replication_role. Tables that later migrations
create get the same rights by default; run the command again after a migration that adds an
audit table, so that table loses UPDATE and DELETE too.
"""

import psycopg
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from psycopg import sql

from hostup_dash.core.database import AUDIT_TABLES_LIKE, owner_settings, psycopg_params

SAME_USER = (
    "DATABASE_URL and MIGRATE_DATABASE_URL connect as the same user ({user}): set DATABASE_URL to the "
    'least-privilege role to create and MIGRATE_DATABASE_URL to the owner of the tables (README "Production").'
)
# Everything the dashboard and the worker do outside the audit tables; no TRUNCATE, REFERENCES or TRIGGER.
TABLE_RIGHTS = sql.SQL("SELECT, INSERT, UPDATE, DELETE")
AUDIT_TABLES_SQL = (
    "SELECT c.relname FROM pg_class c WHERE c.relkind IN ('r', 'p') AND c.relname LIKE %s "
    "AND c.relnamespace = current_schema()::regnamespace ORDER BY c.relname"
)


PASSWORD_PLACEHOLDER = "<the password in DATABASE_URL>"


class Command(BaseCommand):
    help = "Print (or --apply, as MIGRATE_DATABASE_URL's owner) the SQL that sets up DATABASE_URL's runtime role."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--apply", action="store_true", help="Run the SQL instead of printing it.")

    def handle(self, *args, apply: bool, **options) -> str:
        runtime = connections[DEFAULT_DB_ALIAS].settings_dict
        try:
            # One transaction: on any error nothing is granted.
            with psycopg.connect(**psycopg_params(owner_settings())) as owner:
                # Printed SQL ends up in terminals and tickets: it names the password, never shows it.
                password = runtime["PASSWORD"] if apply else (runtime["PASSWORD"] and PASSWORD_PLACEHOLDER)
                statements = _statements(owner, role=runtime["USER"], password=password)
                if not apply:
                    return "\n".join(f"{statement.as_string(owner)};" for statement in statements)
                for statement in statements:
                    owner.execute(statement)
        except psycopg.OperationalError as error:
            raise CommandError(f"Cannot connect as MIGRATE_DATABASE_URL's user ({error}).") from None
        return f"Role {runtime['USER']} set up: {len(statements)} statements run."


def _statements(owner: psycopg.Connection, *, role: str, password: str) -> list[sql.Composable]:
    """The role's creation (if it is missing) and its grants, for the database and the audit tables as they are now."""
    owner_name, database, schema, role_exists = owner.execute(
        "SELECT current_user, current_database(), current_schema(), EXISTS (SELECT FROM pg_roles WHERE rolname = %s)",
        [role],
    ).fetchone()
    if not role or role == owner_name:
        raise CommandError(SAME_USER.format(user=owner_name))
    audit_tables = [name for (name,) in owner.execute(AUDIT_TABLES_SQL, [AUDIT_TABLES_LIKE])]
    names = {
        "role": sql.Identifier(role),
        "owner": sql.Identifier(owner_name),
        "database": sql.Identifier(database),
        "schema": sql.Identifier(schema),
        "rights": TABLE_RIGHTS,
        "audit_tables": sql.SQL(", ").join(sql.Identifier(name) for name in audit_tables),
    }
    templates = [
        "GRANT CONNECT ON DATABASE {database} TO {role}",
        "GRANT USAGE ON SCHEMA {schema} TO {role}",
        "GRANT {rights} ON ALL TABLES IN SCHEMA {schema} TO {role}",
        "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
        "GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {schema} TO {role}",
        # What the owner creates later (each migration) is granted the same at once.
        "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} GRANT {rights} ON TABLES TO {role}",
        "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {role}",
        "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} GRANT EXECUTE ON FUNCTIONS TO {role}",
    ]
    if audit_tables:
        templates.append("REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {audit_tables} FROM {role}")
    if not role_exists:
        # CREATE ROLE's defaults: no superuser, CREATEDB, CREATEROLE or REPLICATION. The password only on creation.
        templates.insert(0, "CREATE ROLE {role} LOGIN PASSWORD {password}" if password else "CREATE ROLE {role} LOGIN")
        names["password"] = sql.Literal(password)
    return [sql.SQL(template).format(**names) for template in templates]
