"""System checks of the reports app's settings (manage.py check)."""

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.checks import Warning, register


@register()
def logo_is_a_static_file(app_configs, **kwargs):
    """The advice's cover shows ACTIESCAN_LOGO only when it is one of the project's static
    files (the PDF may load nothing else); say so rather than leave the cover without it."""
    if finders.find(settings.ACTIESCAN_LOGO):
        return []
    return [Warning(
        f"ACTIESCAN_LOGO {settings.ACTIESCAN_LOGO!r} is not a static file; the advice's cover "
        "shows no logo.",
        hint="Give a path under a static files folder, e.g. img/actiescan-logo.svg.",
        id="reports.W001",
    )]
