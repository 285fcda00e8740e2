from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("inventory", "0006_live_read_count")]

    operations = [
        migrations.CreateModel(
            name="StateCounts",
            fields=[
                ("key", models.CharField(max_length=16, primary_key=True, serialize=False)),
                ("counts", models.JSONField(default=dict)),
                ("counted_at", models.DateTimeField()),
            ],
        ),
        # The list sorted by prefix pages through this; sorted by state age, through vps_state_queue_idx.
        migrations.AddIndex(
            model_name="vpssnapshot",
            index=models.Index(fields=["routed_prefix", "vps_id"], name="vps_prefix_idx"),
        ),
    ]
