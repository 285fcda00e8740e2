"""Give the account-route permissions to the roles: create_route to operator and admin, the rest to admin."""

from django.db import migrations

from hostup_dash.accounts.services import role_groups_migrate


class Migration(migrations.Migration):
    dependencies = [("pools", "0001_initial"), ("accounts", "0003_login_lockout")]

    operations = [migrations.RunPython(role_groups_migrate, migrations.RunPython.noop)]
