from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from . import accounts, views

admin.site.site_header = _("Actiescan – beheer")
admin.site.site_title = _("Actiescan beheer")
admin.site.index_title = _("Inhoud en sessies beheren")

# Django's own account views take the methods they need; these say so, like every view of ours.
get_only = require_GET
get_or_post = require_http_methods(["GET", "POST"])

urlpatterns = [
    path("inloggen/", accounts.LoginView.as_view(), name="login"),
    path("inloggen/code/", accounts.second_step, name="second_step"),
    path("wachtwoord-vergeten/", get_or_post(accounts.PasswordResetView.as_view()), name="password_reset"),
    path("wachtwoord-vergeten/verstuurd/", get_only(auth_views.PasswordResetDoneView.as_view(
        extra_context={"hours": settings.PASSWORD_RESET_TIMEOUT // 3600})),
         name="password_reset_done"),
    path("wachtwoord-herstellen/<uidb64>/<token>/", get_or_post(auth_views.PasswordResetConfirmView.as_view(
        success_url=reverse_lazy("password_reset_complete"))), name="password_reset_confirm"),
    path("wachtwoord-herstellen/klaar/", get_only(auth_views.PasswordResetCompleteView.as_view()),
         name="password_reset_complete"),
    path("account/", accounts.account, name="account"),
    path("account/wachtwoord/", get_or_post(accounts.PasswordChangeView.as_view()), name="password_change"),
    path("account/tweestapsverificatie/", accounts.two_factor, name="two_factor"),
    path("account/tweestapsverificatie/instellen/", accounts.two_factor_setup, name="two_factor_setup"),
    path("uitloggen/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("toegankelijkheidsverklaring/", views.accessibility_statement, name="accessibility_statement"),
    path("privacyverklaring/", views.privacy_statement, name="privacy_statement"),
    path("beheer/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("sessions.root_urls")),
    path("", include("sessions.urls")),
    path("", include("reports.urls")),
]
