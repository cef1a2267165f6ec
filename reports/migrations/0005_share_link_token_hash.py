"""Share links keep only the hash of their token (secrets at rest, actiescan/tokens.py). Links
made before keep working: their plain token is hashed here, and the plain column is dropped."""

import hashlib

from django.db import migrations, models


def hash_tokens(apps, schema_editor):
    ShareLink = apps.get_model("reports", "ShareLink")
    for link in ShareLink.objects.only("pk", "token").iterator():
        # The same hash as actiescan.tokens.token_hash (a migration keeps its own copy).
        digest = hashlib.sha256(link.token.encode()).hexdigest()
        ShareLink.objects.filter(pk=link.pk).update(token_hash=digest)


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0004_delivery_reminders"),
    ]

    operations = [
        migrations.AddField(
            model_name="sharelink",
            name="token_hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(hash_tokens, migrations.RunPython.noop),
        migrations.RemoveField(model_name="sharelink", name="token"),
        migrations.AlterField(
            model_name="sharelink",
            name="token_hash",
            field=models.CharField(editable=False, max_length=64, unique=True),
        ),
    ]
