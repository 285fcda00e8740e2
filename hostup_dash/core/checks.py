"""Deployment checks of our own, run by `manage.py check --deploy`."""

from django.conf import settings
from django.core.checks import Warning, register
from django.db import OperationalError, connection

from hostup_dash.core.database import AUDIT_TABLES_LIKE


@register(deploy=True)
def hostup_api_over_https(app_configs, **kwargs) -> list[Warning]:
    """The API key travels in every request's Authorization header: only over TLS."""
    if settings.HOSTUP_API_URL.startswith("https://"):
        return []
    return [
        Warning(
            "HOSTUP_API_URL is not an https:// address, so the API key would cross the network in clear text.",
            hint="Use https://cloud.hostup.se (the simulator over http is for development and tests only).",
            id="hostup_dash.W001",
        )
    ]


# Ownership (or membership of the owner's role) lets a user switch the append-only triggers off; a
# superuser also passes has_table_privilege, and may set session_replication_role besides.
AUDIT_TABLES_CHANGEABLE_SQL = (
    "SELECT c.relname FROM pg_class c WHERE c.relkind IN ('r', 'p') AND c.relname LIKE %s "
    "AND c.relnamespace = current_schema()::regnamespace "
    "AND (pg_has_role(c.relowner, 'USAGE') OR has_table_privilege(c.oid, 'UPDATE, DELETE, TRUNCATE')) "
    "ORDER BY c.relname"
)


@register(deploy=True)
def audit_tables_append_only(app_configs, **kwargs) -> list[Warning]:
    """The dashboard's database user may only read and append audit records, never change or remove them."""
    try:
        with connection.cursor() as cursor:
            cursor.execute(AUDIT_TABLES_CHANGEABLE_SQL, [AUDIT_TABLES_LIKE])
            tables = [name for (name,) in cursor.fetchall()]
    except OperationalError:  # no database to look at: nothing to say about it
        return []
    if not tables:
        return []
    return [
        Warning(
            f"The database user {connection.settings_dict['USER'] or '(default)'} can rewrite the audit trail: "
            f"it owns, or may update, delete or truncate, {', '.join(tables)}.",
            hint="Run the dashboard and the worker as the role `python manage.py db_roles --apply` sets up "
            "(DATABASE_URL), migrate as the owner (MIGRATE_DATABASE_URL), and run db_roles again after "
            'migrations that add audit tables (README "Production").',
            id="hostup_dash.W002",
        )
    ]
