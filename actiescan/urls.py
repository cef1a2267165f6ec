from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from . import views

admin.site.site_header = _("Actiescan – beheer")
admin.site.site_title = _("Actiescan beheer")
admin.site.index_title = _("Inhoud en sessies beheren")

urlpatterns = [
    path("inloggen/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("uitloggen/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", views.healthz, name="healthz"),
    path("toegankelijkheidsverklaring/", views.accessibility_statement, name="accessibility_statement"),
    path("privacyverklaring/", views.privacy_statement, name="privacy_statement"),
    path("beheer/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("sessions.root_urls")),
    path("", include("sessions.urls")),
    path("", include("reports.urls")),
]
