from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def csrf_failure(request, reason=""):
    """A missing or expired CSRF token: autosave calls get JSON so the screen can keep the text
    and ask to reload; pages get a plain Dutch explanation."""
    message = _(
        "Uw beveiligingstoken is verlopen. Uw tekst is bewaard in deze browser. "
        "Laad de pagina opnieuw om verder te gaan."
    )
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"error": "csrf", "message": message}, status=403)
    return render(request, "403_csrf.html", {"message": message}, status=403)


@never_cache
@require_GET
def healthz(request):
    """For the load balancer: 200 when the database answers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


@require_GET
def favicon(request):
    """Browsers and tools ask for /favicon.ico without reading the page's <link>: send them to
    the static file (a temporary redirect: its hashed name changes with every release)."""
    response = redirect(static("img/favicon.ico"))
    response["Cache-Control"] = "public, max-age=86400"
    return response


# --- Public pages: no login needed -------------------------------------------------------------

@require_GET
def accessibility_statement(request):
    """The toegankelijkheidsverklaring (WCAG 2.1 AA), linked from every page's footer."""
    return render(request, "pages/accessibility.html")


@require_GET
def privacy_statement(request):
    """The privacyverklaring (AVG): what the app stores, who sees it, how long it is kept."""
    return render(
        request,
        "pages/privacy.html",
        {
            "retention_months": settings.ACTIESCAN_RETENTION_MONTHS,
            "share_link_days": settings.ACTIESCAN_SHARE_LINK_DAYS,
            "session_hours": settings.SESSION_COOKIE_AGE // 3600,
            "lockout_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
            "failure_limit": settings.AXES_FAILURE_LIMIT,
        },
    )


def login_locked_out(request, original_response=None, credentials=None):
    """django-axes calls this after too many wrong passwords (AXES_LOCKOUT_CALLABLE)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "pages/lockout.html", {"minutes": minutes}, status=429)


def axes_username(request, credentials):
    """The username the lockout counts under, cut to what a username can be: the login form
    passes any length to authentication, and the lockout table stores at most 255 characters
    (PostgreSQL refuses longer ones)."""
    source = credentials if credentials else getattr(request, "POST", {})
    return str(source.get("username", "") or "")[:150]
