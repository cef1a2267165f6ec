from django.urls import path

from . import event_views, present_views, views

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
    # Workshops (bijeenkomsten) with several tables, reflection, casus
    path("bijeenkomsten/", event_views.event_list, name="events"),
    path("bijeenkomsten/nieuw/", event_views.event_create, name="event_create"),
    path("bijeenkomsten/<int:pk>/", event_views.event_detail, name="event"),
    path("bijeenkomsten/<int:pk>/bewerken/", event_views.event_edit, name="event_edit"),
    path("bijeenkomsten/<int:pk>/tafels/", event_views.event_tables, name="event_tables"),
    path("bijeenkomsten/<int:pk>/tafels/nieuw/", event_views.add_table, name="event_add_table"),
    path("bijeenkomsten/<int:pk>/reflectie/", event_views.event_reflection, name="event_reflection"),
    path("bijeenkomsten/<int:pk>/reflecties/export/", event_views.event_export, name="event_export"),
    path("sessies/<int:pk>/reflectie/", event_views.session_reflection, name="reflection"),
    path("casus/", event_views.case_list, name="case_list"),
    path("casus/<int:pk>/", event_views.case_detail, name="case"),
    # The present screen (projector): codes made by the moderator, entered on /scherm/
    path("sessies/<int:pk>/scherm/", present_views.codes, name="present_codes"),
    path("sessies/<int:pk>/scherm/codes/", present_views.create_code, name="present_code_create"),
    path(
        "sessies/<int:pk>/scherm/codes/<int:code_pk>/intrekken/",
        present_views.revoke_code,
        name="present_code_revoke",
    ),
    path("scherm/", present_views.enter_code, name="present_enter"),
    path("scherm/sluiten/", present_views.leave, name="present_leave"),
    path("scherm/sessie/<int:pk>/", present_views.screen, name="present"),
    path("scherm/sessie/<int:pk>/sync/", present_views.sync, name="present_sync"),
    path("scherm/sessie/<int:pk>/casus/", present_views.case, name="present_case"),
]
