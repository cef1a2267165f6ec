"""Answers every app's views share: JSON errors for the live-editing calls, the login check that
answers those calls in JSON, and one view serving a page or one of its htmx fragments."""

from functools import wraps

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
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
