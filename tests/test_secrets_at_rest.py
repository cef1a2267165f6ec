"""Share-link tokens and present codes are stored only as a hash (actiescan/tokens.py), as join
codes are; links and codes made before that keep working (the migrations hash them)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from actiescan.tokens import token_hash
from reports import services as advice_services
from reports.models import ShareLink
from sessions import present, services
from sessions.models import PresentCode

BEFORE = [("reports", "0004_delivery_reminders"), ("scan_sessions", "0008_live_handshake")]
AFTER = [("reports", "0005_share_link_token_hash"), ("scan_sessions", "0009_present_code_hash")]


def test_new_links_and_codes_keep_only_a_hash(running_session, moderator, notulist):
    code = present.create_code(session=running_session, user=moderator)
    stored = PresentCode.objects.filter(pk=code.pk).values()[0]
    assert stored["code_hash"] == token_hash(code.code) and code.code not in str(stored)
    services.close_session(session=running_session, user=moderator)
    advice = advice_services.get_or_draft_advice(session=running_session, user=notulist)
    version = advice_services.finalize(advice=advice, user=notulist)
    link, token = advice_services.issue_share_link(version=version, user=notulist)
    stored = ShareLink.objects.filter(pk=link.pk).values()[0]
    assert stored["token_hash"] == token_hash(token) and token not in str(stored)
    # Read back from the database, neither knows its plain text any more.
    assert ShareLink.objects.get(pk=link.pk).token == "" and PresentCode.objects.get().code == ""


@pytest.mark.django_db(transaction=True)
def test_links_and_codes_made_before_hashing_keep_working(running_session, moderator, notulist):
    services.close_session(session=running_session, user=moderator)
    advice = advice_services.get_or_draft_advice(session=running_session, user=notulist)
    version = advice_services.finalize(advice=advice, user=notulist)
    session_pk, version_pk = running_session.pk, version.pk
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old_apps = executor.loader.project_state(BEFORE).apps
        old_apps.get_model("reports", "ShareLink").objects.create(
            version_id=version_pk, token="oud-token-" + "x" * 33,
            expires_at=timezone.now() + timezone.timedelta(days=30))
        old_apps.get_model("scan_sessions", "PresentCode").objects.create(
            session_id=session_pk, code="KDTR7M4P", expires_at=timezone.now() + timezone.timedelta(hours=2))
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert ShareLink.objects.get().token_hash == token_hash("oud-token-" + "x" * 33)
    assert Client().get(reverse("reports:shared", args=["oud-token-" + "x" * 33])).status_code == 200
    screen = Client()
    assert screen.post(reverse("sessions:present_enter"), {"code": "KDTR-7M4P"}).status_code == 302
    assert screen.get(reverse("sessions:present", args=[session_pk])).status_code == 200
