from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_more_actions"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditrecord",
            name="action",
            field=models.CharField(
                choices=[
                    ("allocate", "Allocate"),
                    ("refresh_next_hop", "Refresh next hop"),
                    ("release", "Release"),
                    ("resolve_outcome", "Outcome checked"),
                    ("login", "Log in"),
                    ("login_failed", "Failed login"),
                    ("logout", "Log out"),
                    ("login_locked_out", "Login locked out"),
                    ("role_change", "Role change"),
                    ("export_audit", "Export audit log"),
                    ("view_inventory", "View inventory"),
                    ("view_history", "View VPS history"),
                    ("view_audit", "View audit log"),
                ],
                editable=False,
                max_length=32,
            ),
        ),
    ]
