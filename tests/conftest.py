import threading

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connections
from django.test import Client
from django.utils import timezone

from actiescan.models import SuccessFactor
from actiescan.roles import MODERATOR_GROUP, NOTULIST_GROUP, STAFF_GROUP
from sessions import services
from sessions.models import Initiative, ScanSession

PASSWORD = "een-lang-testwachtwoord"


def make_user(username, group, *, is_staff=False, first_name=""):
    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, is_staff=is_staff, first_name=first_name
    )
    user.groups.add(Group.objects.get(name=group))
    return user


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


def plan_session(initiative, moderator, notulist, codes=("maatwerk", "digitale-tools", "leren-monitoring")):
    session = ScanSession.objects.create(
        initiative=initiative,
        starts_at=timezone.now(),
        location="Tiel",
        moderator=moderator,
        notulist=notulist,
    )
    ids = [SuccessFactor.objects.get(code=code).pk for code in codes]
    services.choose_factors(session=session, factor_ids=ids, user=moderator)
    session.refresh_from_db()
    return session


@pytest.fixture
def scan_session(initiative, moderator, notulist):
    return plan_session(initiative, moderator, notulist)


@pytest.fixture
def running_session(scan_session, moderator):
    services.start_session(session=scan_session, user=moderator)
    scan_session.refresh_from_db()
    return scan_session


def client_for(client_class, user):
    client = client_class()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Real hashing costs ~0.3 s per user; tests only need logins to work.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def moderator_client(moderator):
    return client_for(Client, moderator)


def in_thread(work):
    """Run `work` in a thread with its own database connection; returns (thread, outcome)."""
    outcome = {}

    def run():
        try:
            outcome["value"] = work()
        except Exception as error:  # noqa: BLE001 - the test inspects it
            outcome["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome
