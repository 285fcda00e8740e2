"""Trigram indexes for the VPS list's search box.

The search uses icontains, which PostgreSQL runs as UPPER(column::text) LIKE '%term%'.
A GIN trigram index on exactly that expression answers it without reading the whole
table (10,000 VPSes: see docs/benchmarks.md). Raw SQL, because Django renders an
operator class on an expression index with the parentheses in the wrong place.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = {
    "vps_name_trgm": "name",
    "vps_ip_trgm": "primary_ip",
    "vps_prefix_trgm": "routed_prefix",
    "vps_routes_trgm": "account_route_prefixes",
}


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial")]

    operations = [TrigramExtension()] + [
        migrations.RunSQL(
            f'CREATE INDEX {index} ON inventory_vpssnapshot USING gin ((UPPER("{column}"::text)) gin_trgm_ops)',
            f"DROP INDEX {index}",
        )
        for index, column in INDEXES.items()
    ]
