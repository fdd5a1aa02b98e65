"""Decisions: accept, waitlist, decline; e-mailed to the team in the application's
language; accepting starts the incubation."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from fabreck.incubator import services
from fabreck.incubator.models import Application, Founder, Incubation
from fabreck.incubator.services import application_decide
from tests.factories import UserFactory
from tests.incubator.helpers import application_make, call_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(manager):
    return call_make(by=manager)


def test_accepting_mails_the_team_in_its_language_and_starts_the_incubation(
    manager, call, django_capture_on_commit_callbacks, monkeypatch
):
    languages = []
    render = services.render_to_string

    def render_noting_language(*args, **kwargs):
        languages.append(translation.get_language())
        return render(*args, **kwargs)

    monkeypatch.setattr(services, "render_to_string", render_noting_language)
    application = application_make(call=call, language="fr")
    Founder.objects.create(application=application, name="Léa", email="lea@example.lu")
    jonas = UserFactory(email="jonas@example.lu", preferred_language="de")
    Founder.objects.create(application=application, name="Jonas", email=jonas.email, user=jonas)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        application_decide(
            application=application, decision="accepted", by=manager, message="Bienvenue !"
        )

    application.refresh_from_db()
    assert (application.status, application.decided_by) == ("accepted", manager)
    assert application.decided_at is not None
    assert application.decision_message == "Bienvenue !"
    incubation = Incubation.objects.get(application=application)
    assert incubation.organisation.incubated
    # (The other founders are also invited to the startup: those are other e-mails.)
    decision_mails = [m for m in mail.outbox if "Bienvenue !" in m.body]
    assert sorted(m.to[0] for m in decision_mails) == sorted(
        [application.applicant.email, "lea@example.lu", "jonas@example.lu"]
    )
    message = decision_mails[0]
    assert "Pixel Loom" in message.subject
    assert "Bienvenue !" in message.body
    # Each founder reads it in their language: the applicant and Léa (no account) in the
    # application's French, Jonas in the German of his account (the manager reads English).
    assert languages == ["fr", "fr", "de"]


def test_a_waitlisted_application_may_later_be_accepted_or_declined(manager, call):
    application = application_make(call=call)
    application_decide(application=application, decision="waitlisted", by=manager)
    application_decide(application=application, decision="declined", by=manager)

    assert Application.objects.get(pk=application.pk).status == "declined"
    assert not Incubation.objects.exists()


@pytest.mark.parametrize("first", ["accepted", "declined"])
def test_a_decided_application_is_not_decided_again(manager, call, first):
    application = application_make(call=call)
    application_decide(application=application, decision=first, by=manager)
    decided_at = Application.objects.get(pk=application.pk).decided_at

    with pytest.raises(ValidationError) as refused:
        application_decide(application=application, decision="waitlisted", by=manager)

    assert refused.value.code == "already_decided"
    stored = Application.objects.get(pk=application.pk)
    assert (stored.status, stored.decided_at) == (first, decided_at)


def test_drafts_unknown_decisions_and_non_managers_are_refused(manager, call):
    draft = application_make(call=call, status="draft", startup_name="Draft")
    with pytest.raises(ValidationError) as refused:
        application_decide(application=draft, decision="accepted", by=manager)
    assert refused.value.code == "not_decidable"
    submitted = application_make(call=call, startup_name="Sub")
    with pytest.raises(ValidationError):
        application_decide(application=submitted, decision="maybe", by=manager)
    with pytest.raises(PermissionDenied):
        application_decide(application=submitted, decision="accepted", by=UserFactory())
    assert set(Application.objects.values_list("status", flat=True)) == {"draft", "submitted"}
    assert not Incubation.objects.exists()
