"""A message batch whose job gave up is `failed` (and `manage dlq redrive` re-queues it)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0002_ledger_append_only"),
    ]

    operations = [
        migrations.AlterField(
            model_name="messagebatch",
            name="status",
            field=models.CharField(
                choices=[("queued", "queued"), ("sending", "sending"), ("done", "done"), ("cancelled", "cancelled"),
                         ("failed", "failed")],
                default="queued", max_length=16),
        ),
    ]
