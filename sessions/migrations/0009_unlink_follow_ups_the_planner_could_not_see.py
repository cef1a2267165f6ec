"""Follow-up links made before issue 13 by a planner who could not see the previous session
(a moderator planning for an initiative that another moderator had met): such a link let the
new session's moderator and notulist into the previous session's action points. They are
undone, as ScanSession.may_follow_up would have refused them. Links planned by staff, by
someone who led or minuted the previous session, or by a planner no longer known are kept."""

from django.db import migrations


def unlink(apps, schema_editor):
    ScanSession = apps.get_model("scan_sessions", "ScanSession")
    follow_ups = (
        ScanSession.objects.filter(previous_session__isnull=False, created_by__isnull=False)
        .select_related("created_by", "previous_session")
    )
    wrong = [
        session.pk for session in follow_ups.iterator()
        if not (session.created_by.is_staff and session.created_by.is_active)
        and session.created_by_id not in (session.previous_session.moderator_id,
                                          session.previous_session.notulist_id)
    ]
    ScanSession.objects.filter(pk__in=wrong).update(previous_session=None)


class Migration(migrations.Migration):
    dependencies = [("scan_sessions", "0008_live_handshake")]
    operations = [migrations.RunPython(unlink, migrations.RunPython.noop)]
