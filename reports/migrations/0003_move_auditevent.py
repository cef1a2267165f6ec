from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0002_auditevent'),
    ]

    # The audit log moved to the sessions app (scan_sessions.AuditEvent) with its table, which
    # keeps its name: only the migration state changes, the database is left as it is.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='AuditEvent')],
            database_operations=[],
        ),
    ]
