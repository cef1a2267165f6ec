import io

import pytest
from django.test import Client

from actiescan.roles import MODERATOR_GROUP, NOTULIST_GROUP, STAFF_GROUP
from sessions import services
from sessions.models import Initiative

from .helpers import client_for, make_user, plan_session


@pytest.fixture
def staff(db):
    return make_user("sanne", STAFF_GROUP, is_staff=True, first_name="Sanne")


@pytest.fixture
def moderator(db):
    return make_user("jeroen", MODERATOR_GROUP, first_name="Jeroen")


@pytest.fixture
def notulist(db):
    return make_user("fatima", NOTULIST_GROUP, first_name="Fatima")


@pytest.fixture
def outsider(db):
    """Another moderator: logged in, allowed to plan, but not part of this session."""
    return make_user("pieter", MODERATOR_GROUP, first_name="Pieter")


@pytest.fixture
def initiative(db):
    return Initiative.objects.create(name="Leerwerkloket Rivierenland", sector="Techniek")


@pytest.fixture
def scan_session(initiative, moderator, notulist):
    return plan_session(initiative, moderator, notulist)


@pytest.fixture
def running_session(scan_session, moderator):
    services.start_session(session=scan_session, user=moderator)
    scan_session.refresh_from_db()
    return scan_session


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Real hashing costs ~0.3 s per user; tests only need logins to work.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def moderator_client(moderator):
    return client_for(Client, moderator)


@pytest.fixture(autouse=True)
def quick_pdf(request, monkeypatch):
    """WeasyPrint takes about a second per advice. Tests that are not about the PDF itself get a
    one-page stand-in (the document's HTML is still rendered, so template errors show); tests
    marked `pdf` render the real one."""
    if request.node.get_closest_marker("pdf"):
        return
    from pypdf import PdfWriter

    from reports import document

    def stand_in(content):
        document.render_document_html(content, for_pdf=True)
        writer = PdfWriter()
        writer.add_blank_page(width=595, height=842)
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue(), 1

    monkeypatch.setattr(document, "render_pdf", stand_in)
