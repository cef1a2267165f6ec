"""The "done when" of the live session, once: both people type continuously through every move
of the table and through closing, and not one character is lost (bench/no_loss.py runs it 20
times and writes down the numbers)."""

import random

import pytest

from sessions import services

from .helpers import type_through_a_session

pytestmark = pytest.mark.django_db(transaction=True)


def test_typing_through_every_switch_and_closing_loses_nothing(table, live_server, moderator):
    session, mod, notu, _ = table
    services.start_session(session=session, user=moderator)
    result = type_through_a_session(mod, notu, live_server.url, session, random.Random(3))
    assert result["closed"]
    assert result["lost_characters"] == 0, result
    assert result["nowhere"] == [], result
    assert result["screen_differs_from_database"] == [], result
    assert result["words"] > 60
