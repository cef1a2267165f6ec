"""Sync tokens: let the live poll skip the login-session and user lookups.

Every open screen asks every 2 seconds what changed on its session. The full path (load and
decode the login session, load the user, build the visibility query) cost more CPU than the
answer itself and was what capped a workshop server's capacity (see bench/README.md). So a
screen served by a view that checked the user's access gets a short-lived token, signed with the
SECRET_KEY, naming the scan session and the user, and bound to the login session: the login
session's key — which Django renews at every log-in and log-out and which sits in the HttpOnly
cookie — is part of the signing salt, so the token is useless without that cookie.

A poll with a valid token is checked in one query that reads the session's revision only if, at
this moment,
- the login session still exists and has not expired (logging out ends the token at once),
- the user is still active and may still see the session: its moderator, its notulist or staff —
  the same rule as ScanSession.objects.visible_to (tests/test_sync_tokens.py holds them equal),
- and the user's password is the one the token was issued under (a mark derived from Django's
  session auth hash), so a password change ends the tokens of every login, as Django does.
Anything else — no, foreign or expired token, no access — takes the full, authenticated view,
which answers the same way and hands out a fresh token. Tokens only ever read: saves always take
Django's own authentication."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core import signing
from django.db import connection
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from .fields import whole_number
from .models import ScanSession

SESSIONS = ScanSession._meta.db_table
LOGINS = Session._meta.db_table
User = get_user_model()
USERS = User._meta.db_table

HEADER = "X-Sync-Token"
SALT = "actiescan.sessions.sync-token"
MAX_AGE = 2 * 60  # seconds; every page load and every full sync hands out a fresh one
DB_SESSIONS = "django.contrib.sessions.backends.db"


def _signer(login_key: str) -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=f"{SALT}:{login_key}")


def _password_mark(user) -> str:
    # Derived from the session auth hash (an HMAC of the password hash), never the hash itself.
    return salted_hmac(f"{SALT}.password", user.get_session_auth_hash(), algorithm="sha256").hexdigest()[:20]


def issue(request, session_pk: int) -> str:
    """A token for the logged-in user of `request`, whose access to the session was just checked
    ("" when there is no login session to bind it to, or sessions are not in the database)."""
    login_key = request.session.session_key
    user = request.user
    if not login_key or settings.SESSION_ENGINE != DB_SESSIONS or not user.is_authenticated:
        return ""
    return _signer(login_key).sign(f"{session_pk}:{user.pk}:{_password_mark(user)}")


def session_for(request, session_pk: int) -> ScanSession | None:
    """The session (pk, revision, status, current_factor_id, wrap_up_since) when the request carries a valid token
    for it and its user may still see it; None means: take the full path."""
    token = request.headers.get(HEADER, "")
    login_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME, "")
    if not token or not login_key or len(token) > 200 or len(login_key) > 64:
        return None
    try:
        value = _signer(login_key).unsign(token, max_age=MAX_AGE)
    except signing.BadSignature:  # also SignatureExpired
        return None
    token_session, user_pk, mark = (value.split(":") + ["", ""])[:3]
    user_id = whole_number(user_pk)
    if token_session != str(session_pk) or user_id is None or not mark:
        return None
    # Raw SQL on purpose: this runs every 2 s for every open screen, and building the same
    # query through the ORM costs more than running it. The user condition mirrors
    # ScanSessionQuerySet.visible_to and roles.is_ser_staff.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.revision, s.status, s.current_factor_id, s.wrap_up_since, u.password "
            f"FROM {SESSIONS} s JOIN {USERS} u ON u.id = %s "
            "WHERE s.id = %s AND u.is_active "
            "AND (u.is_staff OR s.moderator_id = u.id OR s.notulist_id = u.id) "
            f"AND EXISTS (SELECT 1 FROM {LOGINS} l WHERE l.session_key = %s AND l.expire_date > %s)",
            [user_id, session_pk, login_key, timezone.now()],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    revision, status, current_factor_id, wrap_up_since, password = row
    if not constant_time_compare(mark, _password_mark(User(pk=user_id, password=password))):
        return None
    return ScanSession(pk=session_pk, revision=revision, status=status,
                       current_factor_id=current_factor_id, wrap_up_since=wrap_up_since)
