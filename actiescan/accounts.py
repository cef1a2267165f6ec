"""Signing in, with a second factor where it is needed; forgetting and changing a password.

Two-factor sign-in (TOTP through django-otp, with recovery codes) is required for staff when
ACTIESCAN_STAFF_2FA is on (the default with DEBUG off) and optional for everyone else. The
password step never logs anyone in when a second step follows: it leaves a *pending login* in the
(anonymous) session — who, with which backend, until when — and only the right code finishes it
with Django's login(). So every part of the app that asks `request.user.is_authenticated`
(pages, autosave, the sync tokens) sees nobody until both steps are done. A staff member without
a device yet sets one up before the login is finished.

Logins that are older than the requirement (made before it was switched on, or before someone
became staff) are ended by SecondFactorRequiredMiddleware; the admin asks for it too
(SecondFactorAdminSite)."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.admin import AdminSite
from django.contrib.auth import get_user_model, logout
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from .clients import client_fingerprint
from .http import SYNC_TOKEN_HEADER, json_error, local_path
from .models import PasswordResetRequest, RecoveryCode, RecoveryCodeDevice
from .roles import is_ser_staff

PENDING_KEY = "actiescan_pending_login"
PENDING_SECONDS = 10 * 60  # the time to find the phone and type the code


def second_factor_required(user) -> bool:
    return bool(settings.ACTIESCAN_STAFF_2FA and is_ser_staff(user))


def totp_device(user, *, confirmed=True):
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("pk").first()


def recovery_device(user):
    return RecoveryCodeDevice.objects.filter(user=user, confirmed=True).first()


# --- The pending login between the password and the second step ---------------------------------

def _password_mark(user) -> str:
    # A password change between the two steps ends the pending login, as it ends sessions.
    return salted_hmac("actiescan.pending-login", user.get_session_auth_hash(), algorithm="sha256").hexdigest()


def start_pending_login(request, user, next_url: str) -> None:
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "user": user.pk, "backend": user.backend, "mark": _password_mark(user),
        "until": time.time() + PENDING_SECONDS, "next": next_url,
    }


def pending_login(request):
    """(user, next URL) of the pending login of this browser, or (None, "")."""
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or pending.get("until", 0) < time.time():
        return None, ""
    user = get_user_model().objects.filter(pk=pending.get("user"), is_active=True).first()
    if user is None or not constant_time_compare(pending.get("mark", ""), _password_mark(user)):
        return None, ""
    user.backend = pending["backend"]
    return user, pending.get("next") or reverse(settings.LOGIN_REDIRECT_URL)


def finish_login(request, user, device) -> None:
    """Both steps done: the real login, marked as verified by `device`."""
    request.session.pop(PENDING_KEY, None)
    auth_login(request, user, backend=user.backend)
    otp_login(request, device)


def account_user(request):
    """Whose account the second-factor pages are about: the logged-in user, or the person
    half-way through signing in (a staff member who must set up a device first)."""
    if request.user.is_authenticated:
        return request.user
    return pending_login(request)[0]


# --- Signing in ---------------------------------------------------------------------------------

class LoginView(auth_views.LoginView):
    """Django's login, which stops after the password when a second step follows."""

    redirect_authenticated_user = True

    def get_redirect_url(self):
        # The same check as every other `next` of the app (http.local_path): a path of this site
        # only; after the second step it goes through redirect(), which reads a word as a URL name.
        target = self.request.POST.get(self.redirect_field_name,
                                       self.request.GET.get(self.redirect_field_name))
        return local_path(self.request, target) or ""

    def form_valid(self, form):
        user = form.get_user()
        has_device = totp_device(user) is not None
        if not has_device and not second_factor_required(user):
            return super().form_valid(form)
        start_pending_login(self.request, user, self.get_success_url())
        return redirect("second_step" if has_device else "two_factor_setup")


class SecondFactorAdminSite(AdminSite):
    """The admin (/beheer/) signs in through the same two steps, and lets staff in only with
    their second factor when it is required."""

    def has_permission(self, request):
        user = request.user
        return super().has_permission(request) and (
            not second_factor_required(user) or user.is_verified()
        )

    def login(self, request, extra_context=None):
        if request.method == "GET" and self.has_permission(request):
            return redirect("admin:index")
        # Not redirect_authenticated_user: a moderator who opens /beheer/ gets the form, not a loop.
        return LoginView.as_view(redirect_authenticated_user=False, next_page="admin:index")(request)


class SecondFactorRequiredMiddleware:
    """Ends a staff login that has no second factor while one is required: logins from before
    the requirement was switched on, or from before the account became staff. A live poll
    carrying a sync token is answered from the token (handed out by a page that passed this
    check) and is not slowed down by loading the login."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.ACTIESCAN_STAFF_2FA and SYNC_TOKEN_HEADER not in request.headers:
            user = request.user
            if user.is_authenticated and second_factor_required(user) and not user.is_verified():
                logout(request)
                if "application/json" in request.headers.get("Accept", ""):
                    return json_error("login", _("Log opnieuw in, met uw tweede stap. Uw tekst is "
                                                 "bewaard in deze browser."), 401)
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)


@require_http_methods(["GET", "POST"])
def second_step(request):
    """The code from the authenticator app (or a recovery code) that finishes a pending login."""
    user, next_url = pending_login(request)
    if user is None:
        messages.info(request, _("Log opnieuw in: de tijd voor de code is om."))
        return redirect("login")
    device = totp_device(user)
    if device is None:
        return redirect("two_factor_setup")
    error, status = "", 200
    if request.method == "POST":
        code = "".join(request.POST.get("code", "").split())[:20]
        recovery = recovery_device(user)
        # Six digits come from the app; a recovery code has eight letters and digits.
        from_app = len(code) == 6 and code.isdigit()
        if from_app and device.verify_token(code):
            finish_login(request, user, device)
            return redirect(next_url)
        if not from_app and recovery and recovery.verify_token(code):
            finish_login(request, user, recovery)
            messages.warning(request, _("U bent ingelogd met een herstelcode. Die werkt maar één "
                                        "keer. Maak nieuwe herstelcodes als u er weinig over hebt."))
            return redirect(next_url)
        allowed, _details = device.verify_is_allowed()
        error = (_("Deze code klopt niet of is al gebruikt. Wacht op de volgende code in uw app en "
                   "probeer het opnieuw.") if allowed else
                 _("Te veel verkeerde codes. Wacht een minuut en probeer het dan opnieuw."))
        status = 400
    return render(request, "registration/second_step.html", {"error": error}, status=status)


# --- Setting up the second factor ----------------------------------------------------------------

def qr_data_uri(text: str) -> str:
    import segno

    return segno.make(text, error="m").svg_data_uri(scale=5, border=2)


@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request):
    """The account's second factor: on or off, and what can be done about it."""
    user = request.user
    context = {
        "device": totp_device(user),
        "required": second_factor_required(user),
        "recovery_left": RecoveryCode.objects.filter(device__user=user).count(),
        "error": "",
    }
    status = 200
    if request.method == "POST" and context["device"]:
        action = request.POST.get("action")
        if action == "recovery_codes":
            return render(request, "registration/recovery_codes.html",
                          {"codes": new_recovery_codes(user), "next_url": reverse("two_factor")})
        if action == "switch_off" and not context["required"]:
            if context["device"].verify_token("".join(request.POST.get("code", "").split())[:12]):
                TOTPDevice.objects.filter(user=user).delete()
                RecoveryCodeDevice.objects.filter(user=user).delete()
                messages.success(request, _("Inloggen in twee stappen staat uit."))
                return redirect("two_factor")
            context["error"], status = _("Deze code klopt niet. Vul de code in die uw app nu toont."), 400
    return render(request, "registration/two_factor.html", context, status=status)


def new_recovery_codes(user) -> list[str]:
    device, _created = RecoveryCodeDevice.objects.get_or_create(
        user=user, defaults={"name": "herstelcodes", "confirmed": True}
    )
    return device.make_codes()


@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    """Set up the authenticator app: a POST makes a new key (never a GET), the page shows it
    as a QR code and as text, and the first right code confirms it. Then the recovery codes are
    shown, once. Also the last part of signing in for staff who have no device yet."""
    user = account_user(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    pending = not request.user.is_authenticated
    if totp_device(user) is not None:
        return redirect("two_factor" if not pending else "second_step")
    device = totp_device(user, confirmed=False)
    error, status = "", 200
    if request.method == "POST" and request.POST.get("action") == "start":
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        TOTPDevice.objects.create(user=user, name=_("app"), confirmed=False)
        return redirect("two_factor_setup")
    if request.method == "POST" and device is not None:
        if device.verify_token("".join(request.POST.get("code", "").split())[:12]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = new_recovery_codes(user)
            if pending:
                next_url = pending_login(request)[1]
                finish_login(request, user, device)
            else:
                otp_login(request, device)
                next_url = reverse("two_factor")
            return render(request, "registration/recovery_codes.html",
                          {"codes": codes, "next_url": next_url, "just_enrolled": True})
        error, status = _("Deze code klopt niet. Kijk of de tijd op uw telefoon goed staat en vul "
                          "de code in die de app nu toont."), 400
    context = {"device": device, "pending": pending, "error": error,
               "required": second_factor_required(user)}
    if device is not None:
        context["qr"] = qr_data_uri(device.config_url)
        key = device.config_url.split("secret=")[1].split("&")[0]
        context["secret"] = " ".join(key[i:i + 4] for i in range(0, len(key), 4))
    return render(request, "registration/two_factor_setup.html", context, status=status)


# --- Forgetting the password ---------------------------------------------------------------------

def address_hash(email: str) -> str:
    return salted_hmac("actiescan.password-reset", email.strip().lower(), algorithm="sha256").hexdigest()


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset by e-mail, limited per client and per address, counted in the database.
    Too many requests from one client are refused with a message; too many for one address
    get the usual answer but no mail (that answer never tells whether the address exists)."""

    email_template_name = "mail/password_reset.txt"
    html_email_template_name = "mail/password_reset.html"
    subject_template_name = "mail/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form):
        since = timezone.now() - timezone.timedelta(hours=1)
        fingerprint = client_fingerprint(self.request, "password-reset")
        address = address_hash(form.cleaned_data["email"])
        recent = PasswordResetRequest.objects.filter(at__gte=since)
        if recent.filter(fingerprint=fingerprint).count() >= settings.ACTIESCAN_PASSWORD_RESET_PER_CLIENT:
            return render(self.request, "registration/password_reset_limited.html", status=429)
        PasswordResetRequest.objects.create(fingerprint=fingerprint, address_hash=address)
        if recent.filter(address_hash=address).count() > settings.ACTIESCAN_PASSWORD_RESET_PER_ADDRESS:
            return redirect(self.success_url)
        # A mail server failure is logged by Django's form and gets the same answer.
        return super().form_valid(form)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's own password: this login stays (update_session_auth_hash), every other login
    and every sync token ends (both are bound to the password)."""

    success_url = reverse_lazy("account")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Uw wachtwoord is gewijzigd. Op andere apparaten bent u "
                                         "uitgelogd."))
        return response


@login_required
@require_GET
def account(request):
    return render(request, "registration/account.html", {
        "has_device": totp_device(request.user) is not None,
        "required": second_factor_required(request.user),
    })
