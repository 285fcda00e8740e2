"""The admin role manages users in the Django admin: give its group the auth permissions."""

from django.db import migrations

from hostup_dash.accounts.services import role_groups_migrate


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_roles"), ("audit", "0003_more_actions")]

    operations = [migrations.RunPython(role_groups_migrate, migrations.RunPython.noop)]
