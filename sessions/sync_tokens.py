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
from django.core import checks, signing
from django.db import connections, router
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from actiescan.http import SYNC_TOKEN_HEADER

from .fields import whole_number
from .models import ScanSession

User = get_user_model()

HEADER = SYNC_TOKEN_HEADER
SALT = "actiescan.sessions.sync-token"
MAX_AGE = 2 * 60  # seconds; every page load and every full sync hands out a fresh one
DB_SESSIONS = "django.contrib.sessions.backends.db"


def _signer(login_key: str) -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=f"{SALT}:{login_key}")


def password_mark(user) -> str:
    # Derived from the session auth hash (an HMAC of the password hash), never the hash itself.
    return salted_hmac(f"{SALT}.password", user.get_session_auth_hash(), algorithm="sha256").hexdigest()[:20]


@checks.register(checks.Tags.compatibility)
def check_session_engine(app_configs=None, **kwargs):
    """Tokens are checked against the login session's row in the database: with another
    SESSION_ENGINE every poll takes the full path (correct, only slower). Say so."""
    if settings.SESSION_ENGINE == DB_SESSIONS:
        return []
    return [checks.Warning(
        "Live-sync tokens need SESSION_ENGINE = django.contrib.sessions.backends.db; with "
        f"{settings.SESSION_ENGINE} every live poll takes the slower full path.",
        id="scan_sessions.W001",
    )]


def _column(model, field_name: str) -> str:
    return model._meta.get_field(field_name).column


def _query(connection) -> str:
    """The one query that checks a token's login, user and access and reads the session's
    revision, written from the models' own table and column names."""
    quote = connection.ops.quote_name
    sessions = quote(ScanSession._meta.db_table)
    users = quote(User._meta.db_table)
    logins = quote(Session._meta.db_table)

    def session_column(name):
        return "s." + quote(_column(ScanSession, name))

    def user_column(name):
        return "u." + quote(_column(User, name))

    return (
        f"SELECT {session_column('revision')}, {session_column('status')}, "
        f"{session_column('current_factor')}, {session_column('wrap_up_since')}, "
        f"{user_column('password')} "
        f"FROM {sessions} s JOIN {users} u ON {user_column(User._meta.pk.name)} = %s "
        f"WHERE {session_column(ScanSession._meta.pk.name)} = %s AND {user_column('is_active')} "
        f"AND ({user_column('is_staff')} OR {session_column('moderator')} = "
        f"{user_column(User._meta.pk.name)} OR {session_column('notulist')} = "
        f"{user_column(User._meta.pk.name)}) "
        f"AND EXISTS (SELECT 1 FROM {logins} l WHERE l.{quote(_column(Session, 'session_key'))} = %s "
        f"AND l.{quote(_column(Session, 'expire_date'))} > %s)"
    )


def issue(request, session_pk: int) -> str:
    """A token for the logged-in user of `request`, whose access to the session was just checked
    ("" when there is no login session to bind it to, or sessions are not in the database)."""
    login_key = request.session.session_key
    user = request.user
    if not login_key or settings.SESSION_ENGINE != DB_SESSIONS or not user.is_authenticated:
        return ""
    return _signer(login_key).sign(f"{session_pk}:{user.pk}:{password_mark(user)}")


def session_for(request, session_pk: int) -> ScanSession | None:
    """The session (see still_allowed) when the request carries a valid token for it and its
    user may still see it; None means: take the full path."""
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
    return still_allowed(login_key=login_key, user_id=user_id, mark=mark, session_pk=session_pk)


def still_allowed(*, login_key: str, user_id: int, mark: str, session_pk: int) -> ScanSession | None:
    """The session (pk, revision, status, current_factor_id, wrap_up_since) if, at this moment,
    the login session `login_key` still exists, the user is active with the password of `mark`
    and may see the session; None otherwise. Also asked by an open stream before every event."""
    # Raw SQL on purpose: this runs for every poll of every open screen, and building the same
    # query through the ORM costs more than running it. The user condition mirrors
    # ScanSessionQuerySet.visible_to and roles.is_ser_staff.
    connection = connections[router.db_for_read(ScanSession)]
    with connection.cursor() as cursor:
        cursor.execute(_query(connection), [user_id, session_pk, login_key, timezone.now()])
        row = cursor.fetchone()
    if row is None:
        return None
    revision, status, current_factor_id, wrap_up_since, password = row
    if not constant_time_compare(mark, password_mark(User(pk=user_id, password=password))):
        return None
    return ScanSession(pk=session_pk, revision=revision, status=status,
                       current_factor_id=current_factor_id, wrap_up_since=wrap_up_since)
