from django.urls import path

from . import overview_views as views

urlpatterns = [
    path("overzicht/sessies/", views.sessions_overview, name="sessions_overview"),
    path("overzicht/sessies/export/", views.sessions_export, name="sessions_export"),
    path("overzicht/initiatieven/", views.initiatives_overview, name="initiatives_overview"),
    path("overzicht/initiatieven/export/", views.initiatives_export, name="initiatives_export"),
    path("overzicht/initiatieven/importeren/", views.initiatives_import, name="initiatives_import"),
    path("overzicht/initiatieven/<int:pk>/", views.initiative_page, name="initiative_overview"),
    path("overzicht/succesfactoren/", views.factors_overview, name="factors_overview"),
    path("actiepunten/<int:pk>/stand/", views.action_status, name="action_status"),
]
