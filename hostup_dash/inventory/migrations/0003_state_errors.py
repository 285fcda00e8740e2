"""A state read that failed for one VPS is kept on its row; a sync run counts those and why its state pass stopped."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0002_search_trigram_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="vpssnapshot",
            name="state_error",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="vpssnapshot",
            name="state_error_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="syncrun",
            name="states_failed",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="syncrun",
            name="state_stop",
            field=models.CharField(
                blank=True,
                choices=[
                    ("pacing", "the rate-limit window is used up"),
                    ("rate_limited", "HostUp is rate-limiting us"),
                    ("key_refused", "HostUp refused our API key"),
                    ("unreachable", "HostUp could not be reached"),
                    ("failing", "HostUp failed several VPSes in a row"),
                ],
                max_length=16,
            ),
        ),
    ]
