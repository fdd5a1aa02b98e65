"""The incubator's API, under /api/v1/incubator/."""

from django.urls import path  # noqa: F401

from fabreck.incubator import api  # noqa: F401

urlpatterns: list = []
