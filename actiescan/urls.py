from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from reports import audit_views

from . import views

admin.site.site_header = _("Actiescan – beheer")
admin.site.site_title = _("Actiescan beheer")
admin.site.index_title = _("Inhoud en sessies beheren")

urlpatterns = [
    path("", views.home, name="home"),
    path("inloggen/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("uitloggen/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", views.healthz, name="healthz"),
    path("toegankelijkheidsverklaring/", views.accessibility_statement, name="accessibility_statement"),
    path("privacyverklaring/", views.privacy_statement, name="privacy_statement"),
    path("sessies/<int:pk>/logboek/", audit_views.session_log, name="audit_log"),
    path("beheer/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("sessions.urls")),
    path("", include("reports.urls")),
]
