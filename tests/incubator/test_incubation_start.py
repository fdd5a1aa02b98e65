from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fabreck.cluster.models import Organisation
from fabreck.fablab.models import PrepaidAccount
from fabreck.fablab.selectors import price_group_for
from fabreck.incubator.services import incubation_start
from tests.factories import UserFactory
from tests.incubator.helpers import application_make, call_make

pytestmark = pytest.mark.django_db


def test_accepted_team_becomes_an_incubated_member_startup_with_prepaid_hours(manager, settings):
    settings.INCUBATOR_PREPAID_HOURS = "30"
    application = application_make(call=call_make(by=manager), status="accepted")

    incubation = incubation_start(application=application, by=manager)

    startup = Organisation.objects.get(pk=incubation.organisation_id)
    assert startup.name == "Pixel Loom"
    assert startup.kind == "startup"
    assert startup.status == "member" and startup.directory_consent and startup.incubated
    assert startup.memberships.get(user=application.applicant).role == "owner"
    assert incubation.phase == "idea_validation"
    assert incubation.cohort == application.call.cohort
    assert price_group_for(maker=None, organisation=startup).slug == "incubated-startup"
    assert PrepaidAccount.objects.get(organisation=startup).balance_hours == Decimal("30.00")
    # Starting twice keeps one incubation and one grant.
    assert incubation_start(application=application, by=manager) == incubation
    assert PrepaidAccount.objects.get(organisation=startup).balance_hours == Decimal("30.00")


def test_only_managers_start_an_incubation_and_only_for_accepted_applications(manager):
    call = call_make(by=manager)
    submitted = application_make(call=call)
    with pytest.raises(ValidationError):
        incubation_start(application=submitted, by=manager)
    accepted = application_make(call=call, startup_name="Other", status="accepted")
    with pytest.raises(PermissionDenied):
        incubation_start(application=accepted, by=UserFactory())
    assert not Organisation.objects.filter(kind="startup").exists()


def test_the_other_founders_are_invited_to_the_startup_not_added(
    manager, mailoutbox, django_capture_on_commit_callbacks
):
    from fabreck.cluster.models import OrganisationInvitation
    from fabreck.incubator.models import Founder

    application = application_make(call=call_make(by=manager), status="accepted")
    colleague = UserFactory(email="colleague@example.lu")
    Founder.objects.create(
        application=application, name="Col", email=colleague.email, user=colleague
    )
    Founder.objects.create(application=application, name="New", email="new@example.lu")
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        incubation = incubation_start(application=application, by=manager)

    startup = incubation.organisation
    # Listing an address in the team grants no role: each founder accepts an invitation.
    assert list(startup.memberships.values_list("user__email", "role")) == [
        (application.applicant.email, "owner")
    ]
    invited = OrganisationInvitation.objects.filter(organisation=startup)
    assert sorted(invited.values_list("email", "role")) == [
        ("colleague@example.lu", "admin"),
        ("new@example.lu", "admin"),
    ]
    assert {m.to[0] for m in mailoutbox} >= {"colleague@example.lu", "new@example.lu"}
