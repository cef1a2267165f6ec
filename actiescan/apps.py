from axes.apps import AppConfig as AxesConfig
from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CatalogueConfig(AppConfig):
    """The content catalogue: success factors, sub-questions and level descriptors."""

    name = "actiescan"
    label = "actiescan"
    verbose_name = _("Inhoud van de scan")

    def ready(self):
        from . import signals

        post_migrate.connect(signals.load_catalogue_after_migrate, sender=self)
        post_migrate.connect(signals.ensure_role_groups)


class ActiescanAdminConfig(AdminConfig):
    """The admin (/beheer/), signing in with the second factor (actiescan.accounts)."""

    default_site = "actiescan.accounts.SecondFactorAdminSite"


class LoginLockoutConfig(AxesConfig):
    """django-axes (the login lockout), under a Dutch name in the admin. axes ships no Dutch;
    its model and field names are translated in locale/nl."""

    verbose_name = _("Inlogblokkades")
