"""Present codes keep only their hash (secrets at rest, actiescan/tokens.py), as join codes do.
Codes made before keep working: the plain code is hashed here, and the plain column is dropped."""

import hashlib

from django.db import migrations, models


def hash_codes(apps, schema_editor):
    PresentCode = apps.get_model("scan_sessions", "PresentCode")
    for code in PresentCode.objects.only("pk", "code").iterator():
        # The same hash as actiescan.tokens.token_hash (a migration keeps its own copy).
        digest = hashlib.sha256(code.code.encode()).hexdigest()
        PresentCode.objects.filter(pk=code.pk).update(code_hash=digest)


class Migration(migrations.Migration):

    dependencies = [
        ("scan_sessions", "0008_live_handshake"),
    ]

    operations = [
        migrations.AddField(
            model_name="presentcode",
            name="code_hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(hash_codes, migrations.RunPython.noop),
        migrations.RemoveField(model_name="presentcode", name="code"),
        migrations.AlterField(
            model_name="presentcode",
            name="code_hash",
            field=models.CharField(editable=False, max_length=64, unique=True),
        ),
    ]
