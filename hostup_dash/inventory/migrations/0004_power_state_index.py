"""An index on the power state, for the list's filter choices and its power filter.

`selectors.power_states()` lists the distinct states by a skip scan, one probe of this index
per state, instead of a SELECT DISTINCT over the whole table on every render (see
docs/benchmarks.md). Raw SQL like 0002, so the model's state stays as it is.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("inventory", "0003_state_errors")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX vps_power_idx ON inventory_vpssnapshot (power_state)",
            "DROP INDEX vps_power_idx",
        )
    ]
