"""Pages of the incubator, under /incubator/."""

from django.urls import path  # noqa: F401

from fabreck.incubator import views  # noqa: F401

app_name = "incubator"

urlpatterns: list = []
