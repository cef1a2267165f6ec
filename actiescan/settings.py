"""Settings for Actiescan.

One file, read from environment variables, with safe development defaults: without any
environment the app runs on a SQLite file in the project folder with DEBUG on. Production sets
DEBUG=0, SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL (see README, "Productie").
"""

import os
import tempfile
from datetime import timedelta
from pathlib import Path

from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def envfloat(name: str, default: float) -> float:
    value = os.environ.get(name, "")
    return float(value) if value.strip() else default


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("SECRET_KEY must be set when DEBUG is off.")
    # Only ever used on a developer's machine: DEBUG is on.
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # The admin asks for the second factor too (actiescan.accounts.SecondFactorAdminSite).
    "actiescan.apps.ActiescanAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "import_export",
    "actiescan.apps.LoginLockoutConfig",  # django-axes, named in Dutch
    "django_otp",
    "django_otp.plugins.otp_totp",
    "actiescan.apps.CatalogueConfig",
    "sessions.apps.ScanSessionsConfig",
    "reports.apps.ReportsConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Right inside the session middleware, so it sees every use of the session: answers that
    # depend on who asks get "Cache-Control: private, no-store", and every answer a
    # Permissions-Policy.
    "actiescan.middleware.ResponseHeadersMiddleware",
    "actiescan.middleware.DutchFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): did this login pass its second factor (django-otp)?
    "django_otp.middleware.OTPMiddleware",
    # Refuses form posts that are not UTF-8 (400) instead of storing garbled text.
    "actiescan.middleware.Utf8FormMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Staff logins without a second factor (from before it was required) are ended.
    "actiescan.accounts.SecondFactorRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "actiescan.urls"
WSGI_APPLICATION = "actiescan.wsgi.application"
ASGI_APPLICATION = "actiescan.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "actiescan.context_processors.roles",
            ],
        },
    },
]


# Database. The embedded default is a SQLite file; DATABASE_URL=postgres://… switches to
# PostgreSQL. The app is served by an ASGI server (granian). Django's docs say to turn persistent
# connections off under ASGI (CONN_MAX_AGE 0) and to pool instead, as Django's own handler runs
# each request's sync work in a thread of its own — PostgreSQL goes through psycopg's pool
# (ACTIESCAN_DB_POOL_SIZE connections per process at most). SQLite has no pool; our handler's
# long-lived lanes (actiescan/asgi.py) let it keep its connections instead.
def database_from_env() -> dict:
    url = os.environ.get("DATABASE_URL", "")
    conn_max_age = envint("CONN_MAX_AGE", 0)
    if url:
        import dj_database_url

        config = dj_database_url.parse(url, conn_max_age=conn_max_age, conn_health_checks=True)
        if not conn_max_age:
            config.setdefault("OPTIONS", {})["pool"] = {
                "min_size": 2, "max_size": envint("ACTIESCAN_DB_POOL_SIZE", 10), "timeout": 10,
            }
        config.setdefault("TEST", {})["NAME"] = os.environ.get("TEST_DATABASE_NAME") or None
        if not config["TEST"]["NAME"]:
            del config["TEST"]["NAME"]
        return config
    return {
        "ENGINE": "actiescan.db",
        "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
        # Kept for 10 minutes: the sync work of requests and streams runs in a few long-lived
        # threads per process (actiescan/asgi.py), so this is a handful of open files, not one
        # per request; opening one (the PRAGMAs, the writer queue's turn file) was 9 % of the
        # server's CPU under the browser-faithful load (bench/README.md).
        "CONN_MAX_AGE": envint("CONN_MAX_AGE", 600),
        "OPTIONS": {
            # IMMEDIATE takes the write lock at BEGIN, so two autosaves wait for each other
            # (busy timeout) instead of failing with "database is locked" halfway.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA busy_timeout=20000;"
                "PRAGMA foreign_keys=ON;"
            ),
        },
    }


DATABASES = {"default": database_from_env()}
# The test database of SQLite lives in a file, not in memory: the browser tests' live server
# answers in several threads, which with an in-memory database all share one connection and
# collide ("database table is locked"); with a file each thread has its own connection, WAL and
# busy timeout, as in production. One file per test process, removed afterwards.
if DATABASES["default"]["ENGINE"] == "actiescan.db":
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("SQLITE_TEST_PATH")
        or str(Path(tempfile.gettempdir()) / f"actiescan-test-{os.getpid()}.sqlite3")
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Brute-force protection (django-axes): the lockout check runs before the password check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = envbool("AXES_ENABLED", True)
# Five wrong passwords for one username from one address lock that combination out for a while.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", 15))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "actiescan.views.login_locked_out"
AXES_USERNAME_CALLABLE = "actiescan.views.axes_username"
# Behind a TLS proxy every request comes from the proxy's address; with TRUSTED_PROXY_COUNT=1
# the client's own address is taken from X-Forwarded-For (set by that one proxy), so a lockout
# hits the guesser and not everyone behind the proxy. One rule for every per-client limit:
# actiescan.clients.
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "actiescan.clients.axes_client_ip"
# Failed attempts are what counts; a log of every successful login is not needed (AVG).
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False

# A password-reset link works this long (seconds), and only once: it stops working as soon as
# the password changes (Django's token includes the password hash and the last login).
PASSWORD_RESET_TIMEOUT = envint("PASSWORD_RESET_TIMEOUT", 2 * 60 * 60)
# Reset requests counted in the database (several app servers share one count), per hour.
ACTIESCAN_PASSWORD_RESET_PER_CLIENT = envint("ACTIESCAN_PASSWORD_RESET_PER_CLIENT", 10)
ACTIESCAN_PASSWORD_RESET_PER_ADDRESS = envint("ACTIESCAN_PASSWORD_RESET_PER_ADDRESS", 3)

# Two-factor sign-in (TOTP, django-otp). Required for staff (SER-medewerker, admin) when on;
# on by default in production. Moderators and notulisten may switch it on for themselves.
ACTIESCAN_STAFF_2FA = envbool("ACTIESCAN_STAFF_2FA", not DEBUG)
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "LLO Actiescan")

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Dutch first; English is offered as a second interface language.
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Nederlands")), ("en", _("Engels"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "actiescan.staticfiles.ManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "/media/"

# A scan session lasts 60–90 minutes; a login must comfortably outlive it.
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 12 * 60 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "actiescan.views.csrf_failure"

# Content-Security-Policy: only our own scripts and styles, no inline code, no eval.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Browser features no page of the app uses (actiescan.middleware.ResponseHeadersMiddleware).
ACTIESCAN_PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "autoplay", "camera", "display-capture", "geolocation",
    "gyroscope", "hid", "magnetometer", "microphone", "midi", "payment", "serial", "usb",
    "xr-spatial-tracking",
))
# Load balancers probe /healthz over plain http: no redirect to https for it.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

if not DEBUG:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True



# E-mail (Django's MAILERS). EMAIL_URL (smtp://user:password@host:587?tls=1, smtps://…:465,
# console://) or the separate EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD,
# EMAIL_USE_TLS, EMAIL_USE_SSL. Without either, development prints every mail on the console
# (./scripts/start) and production sends through SMTP on localhost:25.
def mailer_from_env() -> dict:
    from urllib.parse import parse_qs, unquote, urlsplit

    # A mail server that does not answer must not hold a request (or the reminder run) long.
    timeout = envint("EMAIL_TIMEOUT", 15)
    url = os.environ.get("EMAIL_URL", "").strip()
    if not url:
        host = os.environ.get("EMAIL_HOST", "")
        if DEBUG and not host:
            return {"BACKEND": "actiescan.mail.ReadableConsoleBackend"}
        options = {
            "host": host or "localhost",
            "port": envint("EMAIL_PORT", 25),
            "username": os.environ.get("EMAIL_HOST_USER", ""),
            "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
            "use_tls": envbool("EMAIL_USE_TLS", False),
            "use_ssl": envbool("EMAIL_USE_SSL", False),
            "timeout": timeout,
        }
        return {"BACKEND": "actiescan.mail.SMTPBackend", "OPTIONS": options}
    parts = urlsplit(url)
    if parts.scheme == "console":
        return {"BACKEND": "actiescan.mail.ReadableConsoleBackend"}
    if parts.scheme not in ("smtp", "smtps"):
        raise RuntimeError(f"EMAIL_URL: unknown scheme {parts.scheme!r} (smtp, smtps, console).")
    query = {key: values[-1].lower() for key, values in parse_qs(parts.query).items()}
    ssl = parts.scheme == "smtps" or query.get("ssl", "") in {"1", "true", "yes", "on"}
    tls = not ssl and query.get("tls", "") in {"1", "true", "yes", "on"}
    options = {
        "host": parts.hostname or "localhost",
        "port": parts.port or (465 if ssl else 587 if tls else 25),
        "username": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
        "use_tls": tls,
        "use_ssl": ssl,
        "timeout": timeout,
    }
    return {"BACKEND": "actiescan.mail.SMTPBackend", "OPTIONS": options}


MAILERS = {"default": mailer_from_env()}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "LLO Actiescan <actiescan@localhost>")
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint reports every layout step at INFO; only its warnings matter.
    "loggers": {"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}

# How long a planned follow-up may wait, and how long minutes are kept (months).
ACTIESCAN_FOLLOW_UP_MONTHS = envint("ACTIESCAN_FOLLOW_UP_MONTHS", 12)
# Longest text a single field accepts; a notulist's minutes for one factor rarely pass 10,000.
ACTIESCAN_MAX_FIELD_LENGTH = envint("ACTIESCAN_MAX_FIELD_LENGTH", 50_000)
# How long a share link for the initiative stays valid by default (days).
ACTIESCAN_SHARE_LINK_DAYS = envint("ACTIESCAN_SHARE_LINK_DAYS", 90)
# The most text an advice document may hold; past this, finalizing is refused with a message
# rather than rendering for minutes. A full session (8 factors with long minutes) is ~60,000.
ACTIESCAN_MAX_DOCUMENT_CHARACTERS = envint("ACTIESCAN_MAX_DOCUMENT_CHARACTERS", 300_000)
# The logo on the advice's cover: a static file (path under static/, e.g. "img/ser-logo.svg"),
# the only kind of file the PDF may load; with its alternative text for screen readers.
ACTIESCAN_LOGO = os.environ.get("ACTIESCAN_LOGO", "img/actiescan-logo.svg")
ACTIESCAN_LOGO_ALT = os.environ.get("ACTIESCAN_LOGO_ALT", "LLO Actiescan")
# Wrong share-link tokens one client may try in 15 minutes before being refused.
ACTIESCAN_SHARE_LINK_MAX_FAILURES = envint("ACTIESCAN_SHARE_LINK_MAX_FAILURES", 20)
# django-axes logs every login at INFO; its warnings (lockouts) are what matters.
LOGGING["loggers"]["axes"] = {"level": "WARNING"}

# Privacy (AVG): minutes and personal data of a session are removed this many months after its
# advice was made final (`manage.py purge_expired`); the anonymous levels stay for statistics.
ACTIESCAN_RETENTION_MONTHS = envint("ACTIESCAN_RETENTION_MONTHS", 24)
# The audit log writes at most one "viewed"/"changed" event per user, session and kind in this
# many minutes, so autosaves and reloads do not flood it.
ACTIESCAN_AUDIT_THROTTLE_MINUTES = envint("ACTIESCAN_AUDIT_THROTTLE_MINUTES", 10)

# Push (sessions/push): the wake-up source per process — "auto" is PostgreSQL's LISTEN/NOTIFY on
# PostgreSQL and a revisions query every ACTIESCAN_PUSH_POLL_SECONDS on SQLite; "local" serves
# one process only. A ping every ACTIESCAN_PUSH_HEARTBEAT seconds keeps idle streams open.
ACTIESCAN_PUSH_HUB = os.environ.get("ACTIESCAN_PUSH_HUB", "auto")
ACTIESCAN_PUSH_CHANNEL = "actiescan_push"
ACTIESCAN_PUSH_POLL_SECONDS = envfloat("ACTIESCAN_PUSH_POLL_SECONDS", 0.2)
ACTIESCAN_PUSH_HEARTBEAT = envfloat("ACTIESCAN_PUSH_HEARTBEAT", 20.0)
# Long-lived threads per app process that run the sync views under ASGI (actiescan/asgi.py):
# a request waiting on the database (a SQLite write lock, a PostgreSQL round trip) holds up only
# its own lane.
ACTIESCAN_ASGI_LANES = envint("ACTIESCAN_ASGI_LANES", 4)
if not 1 <= ACTIESCAN_ASGI_LANES <= 64:
    raise RuntimeError("ACTIESCAN_ASGI_LANES must be between 1 and 64.")
# Mails to the initiative: at most this many addresses per sending.
ACTIESCAN_MAX_RECIPIENTS = envint("ACTIESCAN_MAX_RECIPIENTS", 10)
# The sender of an advice hears this many days before its share link expires when the
# initiative never opened it (manage.py send_reminders).
ACTIESCAN_SHARE_EXPIRY_REMINDER_DAYS = envint("ACTIESCAN_SHARE_EXPIRY_REMINDER_DAYS", 7)
# The app's own address, for links in mails sent without a request (reminders, cancellations).
ACTIESCAN_BASE_URL = os.environ.get("ACTIESCAN_BASE_URL", "http://127.0.0.1:8000" if DEBUG else "")
# Taking part from a phone (sessions/phones.py): a join code works this many hours (a phone's
# access ends with it, and with the session); at most this many phones join one table; a client
# may type this many wrong join codes in 15 minutes before its wrong codes are refused (a valid
# code always opens).
ACTIESCAN_JOIN_CODE_HOURS = envint("ACTIESCAN_JOIN_CODE_HOURS", 6)
ACTIESCAN_PHONES_PER_TABLE = envint("ACTIESCAN_PHONES_PER_TABLE", 30)
ACTIESCAN_JOIN_CODE_MAX_FAILURES = envint("ACTIESCAN_JOIN_CODE_MAX_FAILURES", 20)
