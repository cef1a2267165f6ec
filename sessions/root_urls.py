"""The start page, under its plain name "home" (LOGIN_REDIRECT_URL and every page link to it)."""

from django.urls import path

from .views import planning

urlpatterns = [path("", planning.home, name="home")]
