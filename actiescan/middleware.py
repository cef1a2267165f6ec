"""Refuse form posts whose body is not UTF-8.

Django reads a form body as UTF-8 and turns bytes that are not UTF-8 into Latin-1 letters or
replacement characters: the garbled text would be stored without a word (a body that declares
another charset is refused by Django itself). Every form and autosave of the app sends UTF-8, so anything else is
refused with a 400 and a Dutch message, before any view runs: nothing is stored."""

from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.http import JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _

FORM_TYPE = "application/x-www-form-urlencoded"


def is_utf8_form(body: bytes) -> bool:
    try:
        unquote_to_bytes(body.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class Utf8FormMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.method in ("POST", "PUT", "PATCH")
            and request.content_type == FORM_TYPE
            and not is_utf8_form(request.body)
        ):
            if "application/json" in request.headers.get("Accept", ""):
                message = _(
                    "De verstuurde tekst kon niet worden gelezen: hij is niet als UTF-8 "
                    "verstuurd. Er is niets opgeslagen. Laad de pagina opnieuw en probeer het "
                    "nog eens."
                )
                return JsonResponse({"error": "invalid", "message": message}, status=400)
            # "Er is iets meegestuurd dat niet klopt … Er is niets opgeslagen."
            return render(request, "400.html", status=400)
        return self.get_response(request)


class DutchFirstLocaleMiddleware(LocaleMiddleware):
    """Dutch unless the user chose another language with the switch (the language cookie).

    Django's LocaleMiddleware would also follow the browser's Accept-Language, so a Dutch
    facilitator on an English-configured laptop would get English without asking for it."""

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
