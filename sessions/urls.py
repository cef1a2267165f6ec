from django.urls import path

from . import views

app_name = "sessions"
urlpatterns = [
    path("sessies/", views.session_list, name="list"),
    path("sessies/nieuw/", views.plan, name="plan"),
    path("initiatieven/nieuw/", views.initiative_create, name="initiative_create"),
    path("initiatieven/<int:pk>/", views.initiative_detail, name="initiative"),
    path("sessies/<int:pk>/", views.detail, name="detail"),
    path("sessies/<int:pk>/bewerken/", views.edit, name="edit"),
    path("sessies/<int:pk>/factoren/", views.choose_factors, name="choose_factors"),
    path(
        "sessies/<int:pk>/factoren/<int:factor_pk>/<str:direction>/",
        views.move_factor,
        name="move_factor",
    ),
    path("sessies/<int:pk>/deelnemers/", views.add_participant, name="add_participant"),
    path(
        "sessies/<int:pk>/deelnemers/<int:participant_pk>/verwijderen/",
        views.remove_participant,
        name="remove_participant",
    ),
    path("sessies/<int:pk>/starten/", views.start, name="start"),
    path("sessies/<int:pk>/cockpit/", views.cockpit, name="cockpit"),
    path("sessies/<int:pk>/notulist/", views.notulist, name="notulist"),
    path("sessies/<int:pk>/totaaloverzicht/", views.wrap_up, name="wrap_up"),
    path("sessies/<int:pk>/afsluiten/", views.close, name="close"),
    path("sessies/<int:pk>/heropenen/", views.reopen, name="reopen"),
    path("sessies/<int:pk>/opslaan/", views.save_field, name="save"),
    path("sessies/<int:pk>/sync/", views.sync, name="sync"),
    path("sessies/<int:pk>/geschiedenis/", views.history, name="history"),
]
