"""Answers every app's views share: JSON errors for the live-editing calls, the login check that
answers those calls in JSON, and one view serving a page or one of its htmx fragments."""

from functools import wraps
from urllib.parse import urlsplit

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

# The header of the live poll's sync token (sessions.sync_tokens): the core lets such polls
# through without loading the login (actiescan.accounts.SecondFactorRequiredMiddleware).
SYNC_TOKEN_HEADER = "X-Sync-Token"


def json_error(code: str, message: str, status: int, **extra) -> JsonResponse:
    return JsonResponse({"error": code, "message": message, **extra}, status=status)


def json_login_required(view):
    """For autosave and sync calls: an expired login answers 401 with a message instead of a
    redirect to the login page, so the screen can keep the typed text and say what happened."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return json_error(
                "login",
                _("U bent uitgelogd. Uw tekst is bewaard in deze browser. Log in een nieuw "
                  "tabblad opnieuw in; daarna wordt alles alsnog opgeslagen."),
                401,
            )
        return view(request, *args, **kwargs)

    return wrapper


def local_path(request, target: str | None) -> str | None:
    """`target` as a path of this site ("/sessies/3/?x=1#a"), or None when it is anything else.

    The one check for every address a request names to return to (a form's `next`, the page
    htmx says it is on, the login's `next`): Django's `redirect()` would read a bare word such
    as "foo" as a URL name (a 500 when there is none, another page when there is), a relative
    path lands somewhere unplanned, and another host or scheme is an open redirect. A full URL
    of this very host is reduced to its path."""
    if not target or not isinstance(target, str) or len(target) > 2000:
        return None
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        return None
    parts = urlsplit(target)
    if not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return path + (f"#{parts.fragment}" if parts.fragment else "")


def render_page_or_partial(request, template_name, context, partials=(), status=200,
                           companions=None):
    """Render the page, or only the {% partialdef %} named by the htmx request's target.

    `companions` maps a target to partials answered with it as out-of-band swaps (rendered with
    `oob` true, so the partial marks itself hx-swap-oob): parts of a page that change together
    are then fetched in one request with one look-up of their data, not one request each."""
    target = request.htmx.target if request.htmx else None
    if target not in partials:
        return render(request, template_name, context, status=status)
    parts = [render_to_string(f"{template_name}#{target}", context, request)]
    for companion in (companions or {}).get(target, ()):
        parts.append(render_to_string(f"{template_name}#{companion}", {**context, "oob": True}, request))
    return HttpResponse("".join(parts), status=status)
