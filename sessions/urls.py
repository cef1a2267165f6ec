from django.urls import path

from .views import inspiration, live, planning, prepare, present, stream, workshop

app_name = "sessions"
urlpatterns = [
    path("sessies/", planning.session_list, name="list"),
    path("sessies/nieuw/", planning.plan, name="plan"),
    path("initiatieven/nieuw/", planning.initiative_create, name="initiative_create"),
    path("initiatieven/<int:pk>/", planning.initiative_detail, name="initiative"),
    path("sessies/<int:pk>/", prepare.detail, name="detail"),
    path("sessies/<int:pk>/bewerken/", planning.edit, name="edit"),
    path("sessies/<int:pk>/factoren/", prepare.choose_factors, name="choose_factors"),
    # Before move_factor: its <str:direction> would take "inspiratie" too.
    path(
        "sessies/<int:pk>/factoren/<int:factor_pk>/inspiratie/",
        inspiration.inspiration,
        name="inspiration",
    ),
    path(
        "sessies/<int:pk>/factoren/<int:factor_pk>/inspiratie/overnemen/",
        inspiration.take_over_example,
        name="take_over_example",
    ),
    path(
        "sessies/<int:pk>/factoren/<int:factor_pk>/<str:direction>/",
        prepare.move_factor,
        name="move_factor",
    ),
    path("sessies/<int:pk>/deelnemers/", prepare.add_participant, name="add_participant"),
    path(
        "sessies/<int:pk>/deelnemers/<int:participant_pk>/verwijderen/",
        prepare.remove_participant,
        name="remove_participant",
    ),
    path("sessies/<int:pk>/starten/", prepare.start, name="start"),
    path("sessies/<int:pk>/cockpit/", live.cockpit, name="cockpit"),
    path("sessies/<int:pk>/notulist/", live.notulist, name="notulist"),
    path("sessies/<int:pk>/totaaloverzicht/", live.wrap_up, name="wrap_up"),
    path("sessies/<int:pk>/naar/<int:factor_pk>/", live.go_to_factor, name="go_to_factor"),
    path("sessies/<int:pk>/naar-totaaloverzicht/", live.go_to_wrap_up, name="go_to_wrap_up"),
    path("sessies/<int:pk>/afsluiten/", live.close, name="close"),
    path("sessies/<int:pk>/heropenen/", live.reopen, name="reopen"),
    path("sessies/<int:pk>/opslaan/", live.save_field, name="save"),
    path("sessies/<int:pk>/sync/", live.sync, name="sync"),
    path("sessies/<int:pk>/stream/", stream.stream, name="stream"),
    path("sessies/<int:pk>/geschiedenis/", live.history, name="history"),
    path(
        "sessies/<int:pk>/geschiedenis/<int:revision_pk>/terugzetten/",
        live.history_restore,
        name="history_restore",
    ),
    # Workshops (bijeenkomsten) with several tables, reflection, casus
    path("bijeenkomsten/", workshop.event_list, name="events"),
    path("bijeenkomsten/nieuw/", workshop.event_create, name="event_create"),
    path("bijeenkomsten/<int:pk>/", workshop.event_detail, name="event"),
    path("bijeenkomsten/<int:pk>/bewerken/", workshop.event_edit, name="event_edit"),
    path("bijeenkomsten/<int:pk>/tafels/", workshop.event_tables, name="event_tables"),
    path("bijeenkomsten/<int:pk>/tafels/nieuw/", workshop.add_table, name="event_add_table"),
    path("bijeenkomsten/<int:pk>/reflectie/", workshop.event_reflection, name="event_reflection"),
    path("bijeenkomsten/<int:pk>/reflecties/export/", workshop.event_export, name="event_export"),
    path("sessies/<int:pk>/reflectie/", workshop.session_reflection, name="reflection"),
    path("casus/", workshop.case_list, name="case_list"),
    path("casus/<int:pk>/", workshop.case_detail, name="case"),
    # The present screen (projector): codes made by the moderator, entered on /scherm/
    path("sessies/<int:pk>/scherm/", present.codes, name="present_codes"),
    path("sessies/<int:pk>/scherm/codes/", present.create_code, name="present_code_create"),
    path(
        "sessies/<int:pk>/scherm/codes/<int:code_pk>/intrekken/",
        present.revoke_code,
        name="present_code_revoke",
    ),
    path("scherm/", present.enter_code, name="present_enter"),
    path("scherm/sluiten/", present.leave, name="present_leave"),
    path("scherm/sessie/<int:pk>/", present.screen, name="present"),
    path("scherm/sessie/<int:pk>/sync/", present.sync, name="present_sync"),
    path("scherm/sessie/<int:pk>/casus/", present.case, name="present_case"),
]
