import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse

from sessions.models import Initiative

from .helpers import PASSWORD


def test_login_page_is_dutch(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="nl">' in html
    assert "Inloggen" in html and "Wachtwoord" in html and "Gebruikersnaam" in html


def test_login_and_logout(client, moderator):
    response = client.post(reverse("login"), {"username": "jeroen", "password": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("home")
    assert "Welkom, Jeroen" in client.get(reverse("home")).content.decode()
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_wrong_password_gives_a_dutch_message(client, moderator):
    response = client.post(reverse("login"), {"username": "jeroen", "password": "fout"})
    assert response.status_code == 200
    assert "klopt niet" in response.content.decode()


def test_admin_is_for_staff_only(client, moderator, staff):
    client.force_login(moderator)
    response = client.get("/beheer/")
    assert response.status_code == 302 and "/beheer/login/" in response.url
    client.force_login(staff)
    response = client.get("/beheer/")
    assert response.status_code == 200
    assert "Succesfactoren" in response.content.decode()


def test_admin_catalogue_pages_open_for_staff(client, staff):
    client.force_login(staff)
    for path in ("/beheer/actiescan/successfactor/", "/beheer/actiescan/successfactor/1/change/",
                 "/beheer/scan_sessions/scansession/", "/beheer/scan_sessions/initiative/"):
        assert client.get(path).status_code == 200, path


@override_settings(DEBUG=False)
def test_seed_demo_refuses_without_debug(db):
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert not Initiative.objects.exists()


@override_settings(DEBUG=True)
def test_seed_demo_creates_users_who_can_log_in(client, db):
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)  # twice: nothing doubles
    # One real demo initiative and one casus (for the demo workshop's tables).
    assert Initiative.objects.filter(is_case=False).count() == 1
    assert Initiative.objects.filter(is_case=True).count() == 1
    # Through the login page: django-axes checks every password login against its request.
    response = client.post(reverse("login"), {"username": "moderator", "password": "actiescan-demo"})
    assert response.status_code == 302 and response.url == reverse("home")
    response = client.get(reverse("home"))
    assert "Leerwerkloket Vakmanschap Rivierenland" in response.content.decode()


def test_healthz_checks_the_database(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"


def test_production_settings_pass_check_deploy():
    # The browser tests allow async-unsafe ORM use in this process; production never does.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **env,
        "DEBUG": "0",
        "SECRET_KEY": "x" * 30 + "a-long-random-production-like-secret-key-1234567890",
        "ALLOWED_HOSTS": "actiescan.example.org",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env["DEBUG"] = "0"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=settings.BASE_DIR, env=env,
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
