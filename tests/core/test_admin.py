"""Every model has a working Django admin; this grows with the apps."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

OUR_APPS = {"accounts", "cluster", "fablab", "events"}


def test_every_model_of_ours_is_in_the_admin():
    ours = [m for m in apps.get_models() if m._meta.app_label in OUR_APPS]

    assert ours
    assert [m.__name__ for m in ours if m not in admin.site._registry] == []


@pytest.mark.parametrize(
    "model", [m for m in admin.site._registry], ids=lambda m: m._meta.label_lower
)
def test_each_admin_list_opens_and_searches_for_an_administrator(client, model):
    client.force_login(UserFactory(roles=["administrator"], is_superuser=True))
    opts = model._meta

    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert client.get(changelist).status_code == 200
    assert client.get(changelist, {"q": "ana"}).status_code == 200
