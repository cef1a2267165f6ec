from django.urls import path

from . import worksheet_views as views

urlpatterns = [
    path("sessies/<int:pk>/werkblad.pdf", views.session_worksheet, name="worksheet"),
    path("sessies/<int:pk>/voorbereiding.pdf", views.session_preparation, name="preparation_sheet"),
    path("werkblad.pdf", views.blank_worksheet, name="blank_worksheet"),
    path("voorbereiding.pdf", views.blank_preparation, name="blank_preparation_sheet"),
]
