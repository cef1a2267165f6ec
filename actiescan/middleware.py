"""Refuse posts whose body is not UTF-8, or that say they are in another charset.

Django reads a form body as UTF-8 and turns bytes that are not UTF-8 into Latin-1 letters or
replacement characters: the garbled text would be stored without a word. A body that declares
another charset (`Content-Type: …; charset=latin-1`) Django refuses with a bare 400 (an HTML page
even for the autosave, which expects JSON), and a charset nobody knows it silently ignores. Every
form and autosave of the app sends UTF-8, so anything else is refused with a 400 and a Dutch
message, as JSON for a client that asks for it, before any view runs: nothing is stored."""

import codecs
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _

FORM_TYPE = "application/x-www-form-urlencoded"
MULTIPART_TYPE = "multipart/form-data"


def is_utf8_form(body: bytes) -> bool:
    try:
        unquote_to_bytes(body.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def too_long_message() -> str:
    return _("Deze tekst is te lang om op te slaan. Maak hem korter; uw tekst blijft staan en is "
             "bewaard in deze browser.")


def declares_utf8(request) -> bool:
    """True when the body names no charset or UTF-8 in any spelling ("utf8", "UTF-8"); such a
    body is then read as plain UTF-8 (Django itself accepts only the exact "utf-8")."""
    charset = request.content_params.get("charset")
    if charset is None:
        return True
    try:
        if codecs.lookup(charset).name != "utf-8":
            return False
    except LookupError:
        return False
    request.encoding = "utf-8"
    return True


class Utf8FormMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("POST", "PUT", "PATCH"):
            return self.get_response(request)
        if not declares_utf8(request):
            return not_utf8(request)
        try:
            if request.content_type == FORM_TYPE:
                body = request.body
                if not is_utf8_form(body):
                    return not_utf8(request)
            elif request.content_type == MULTIPART_TYPE:
                request.POST  # noqa: B018 - parsed here, where the size limit can be answered
        except RequestDataTooBig:
            # Over DATA_UPLOAD_MAX_MEMORY_SIZE. Django would answer a bare 400 (behind granian
            # even a 500); the autosave shows "te lang" at the field and keeps the text.
            request._mark_post_parse_error()  # nothing after this may read the body again
            if wants_json(request):
                return JsonResponse({"error": "too_large", "message": too_long_message()}, status=413)
            # "Er is iets meegestuurd dat niet klopt of te groot is … Er is niets opgeslagen."
            return render(request, "400.html", status=413)
        return self.get_response(request)


def not_utf8(request):
    if wants_json(request):
        message = _(
            "De verstuurde tekst kon niet worden gelezen: hij is niet als UTF-8 "
            "verstuurd. Er is niets opgeslagen. Laad de pagina opnieuw en probeer het "
            "nog eens."
        )
        return JsonResponse({"error": "invalid", "message": message}, status=400)
    # "Er is iets meegestuurd dat niet klopt … Er is niets opgeslagen."
    return render(request, "400.html", status=400)


class ResponseHeadersMiddleware:
    """Headers every answer gets unless its view set its own.

    Cache-Control: private, no-store on every answer to a browser with a session (logged in, or
    holding a present or join code) or that used the session: such pages and PDFs carry minutes
    and advice, and no shared cache, proxy or back-forward cache may keep them. Static files do
    not pass through here (whitenoise and granian answer them first) and keep their caching;
    /healthz and the favicon have no session and stay cacheable.

    Permissions-Policy: the browser features the app never uses are switched off."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        has_session = settings.SESSION_COOKIE_NAME in request.COOKIES or (
            session is not None and (session.accessed or session.modified)
        )
        if has_session and "Cache-Control" not in response:
            response["Cache-Control"] = "private, no-store"
        response.setdefault("Permissions-Policy", settings.ACTIESCAN_PERMISSIONS_POLICY)
        return response


class DutchFirstLocaleMiddleware(LocaleMiddleware):
    """Dutch unless the user chose another language with the switch (the language cookie).

    Django's LocaleMiddleware would also follow the browser's Accept-Language, so a Dutch
    facilitator on an English-configured laptop would get English without asking for it."""

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
