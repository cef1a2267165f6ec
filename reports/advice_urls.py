from django.urls import path

from . import advice_views as views
from . import audit_views

urlpatterns = [
    path("sessies/<int:pk>/advies/", views.editor, name="advice"),
    path("sessies/<int:pk>/advies/opslaan/", views.save, name="advice_save"),
    path("sessies/<int:pk>/advies/sync/", views.sync, name="advice_sync"),
    path("sessies/<int:pk>/advies/voorbeeld/", views.preview, name="advice_preview"),
    path("sessies/<int:pk>/advies/voorbeeld.pdf", views.preview_pdf, name="advice_preview_pdf"),
    path("sessies/<int:pk>/advies/definitief/", views.finalize, name="advice_finalize"),
    path("sessies/<int:pk>/advies/v<int:number>.pdf", views.version_pdf, name="advice_version_pdf"),
    path("sessies/<int:pk>/advies/v<int:number>/deellink/", views.create_share_link, name="share_create"),
    path("sessies/<int:pk>/advies/v<int:number>/versturen/", views.send_advice, name="advice_send"),
    path("sessies/<int:pk>/advies/deellinks/<int:link_pk>/intrekken/", views.revoke_share_link, name="share_revoke"),
    path("sessies/<int:pk>/logboek/", audit_views.session_log, name="audit_log"),
    path("deel/<str:token>/", views.shared, name="shared"),
    path("deel/<str:token>/advies.pdf", views.shared_pdf, name="shared_pdf"),
]
