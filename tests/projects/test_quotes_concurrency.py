"""Answering a quote at once, proven on PostgreSQL: people of the organisation clicking
"accept" at the same moment get one acceptance and clear refusals; accept and reject at
once give one answer.

The control test takes the guard away (the project's row lock) and shows the race it
prevents: every racer passes the checks before anyone writes, and the same quote is
accepted twice (two status changes, two rounds of e-mails). The partial unique index
"one accepted quote per project" cannot catch it: it is the same row both times.
"""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from fabreck.cluster.models import OrganisationPerson
from fabreck.projects import services
from fabreck.projects.models import Project, Quote, StatusChange
from fabreck.projects.services import QuoteLineInput, quote_accept, quote_reject
from tests.concurrency import run_at_once
from tests.fablab.helpers import site_make
from tests.factories import UserFactory
from tests.projects.quote_helpers import laser_make, quote_make, triaged_project

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrency is proven on PostgreSQL"
    ),
]


def _quoted_with_admins(admins: int, *, title: str = "Acrylic display stand"):
    """A quoted project, its quote, and the people who speak for it: the requester and
    `admins` admins of the organisation."""
    staff = UserFactory(roles=["site_staff"])
    site = site_make(slug=f"site-{title.lower().replace(' ', '-')}", staff=[staff])
    project = triaged_project(site, staff, title=title)
    quote = quote_make(
        project, staff, [QuoteLineInput(kind="machine", resource=laser_make(site), quantity=2)]
    )
    people = [project.requested_by]
    for _ in range(admins):
        admin = UserFactory()
        OrganisationPerson.objects.create(
            organisation=project.organisation, user=admin, role="admin"
        )
        people.append(admin)
    return project, quote, people


def _accepted(project) -> int:
    return StatusChange.objects.filter(project=project, to_status="accepted").count()


def test_two_people_accepting_at_once_get_one_acceptance_and_one_refusal():
    for round_ in range(5):  # the race is tried several times
        project, quote, people = _quoted_with_admins(1, title=f"Stand {round_}")

        outcomes = run_at_once(
            [lambda who=who, q=quote: quote_accept(quote=q, by=who) for who in people]
        )

        won = [o for o in outcomes if isinstance(o, Quote)]
        lost = [o for o in outcomes if not isinstance(o, Quote)]
        assert len(won) == 1, outcomes
        assert len(lost) == 1 and isinstance(lost[0], ValidationError), outcomes
        assert lost[0].messages == ["This quote is already accepted."]
        stored = Quote.objects.get(pk=quote.pk)
        assert (stored.status, stored.decided_by) == ("accepted", won[0].decided_by)
        assert Project.objects.get(pk=project.pk).status == "accepted"
        assert _accepted(project) == 1


def test_sixteen_admins_rushing_get_one_acceptance():
    project, quote, people = _quoted_with_admins(15)

    outcomes = run_at_once([lambda who=who: quote_accept(quote=quote, by=who) for who in people])

    assert sum(isinstance(o, Quote) for o in outcomes) == 1
    refusals = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(refusals) == 15
    assert {code for error in refusals for code in [error.code]} == {"already_accepted"}
    assert _accepted(project) == 1


def test_accept_and_reject_at_once_give_one_answer():
    for round_ in range(5):
        project, quote, (requester, admin) = _quoted_with_admins(1, title=f"Frame {round_}")

        outcomes = run_at_once(
            [
                lambda q=quote, who=requester: quote_accept(quote=q, by=who),
                lambda q=quote, who=admin: quote_reject(quote=q, by=who, reason="Too dear"),
            ]
        )

        answered = [o for o in outcomes if isinstance(o, Quote)]
        refused = [o for o in outcomes if isinstance(o, ValidationError)]
        assert len(answered) == 1 and len(refused) == 1, outcomes
        stored = Quote.objects.get(pk=quote.pk)
        assert stored.status == answered[0].status
        expected = {"accepted": "accepted", "rejected": "requested"}[stored.status]
        assert Project.objects.get(pk=project.pk).status == expected
        assert StatusChange.objects.filter(project=project).count() == 2  # quoted, then one


def test_control_without_the_project_lock_the_same_quote_is_accepted_twice(monkeypatch):
    project, quote, people = _quoted_with_admins(1)
    barrier = threading.Barrier(len(people))
    checked = services._ensure_answerable

    def check_then_wait(quote, project):
        checked(quote, project)
        barrier.wait(timeout=30)  # every racer has passed the checks before anyone writes

    monkeypatch.setattr(
        services,
        "project_locked",
        lambda project: Project.objects.select_related(
            "organisation", "site", "lead", "requested_by"
        ).get(pk=project.pk),
    )
    monkeypatch.setattr(services, "_ensure_answerable", check_then_wait)

    outcomes = run_at_once([lambda who=who: quote_accept(quote=quote, by=who) for who in people])

    assert all(isinstance(o, Quote) for o in outcomes), outcomes
    assert _accepted(project) == 2, "without the lock both acceptances go through"


def test_two_staff_sending_versions_at_once_number_them_one_after_the_other():
    staff = [UserFactory(roles=["site_staff"]) for _ in range(2)]
    site = site_make(slug="versions", staff=staff)
    project = triaged_project(site, staff[0])
    laser = laser_make(site)

    outcomes = run_at_once(
        [
            lambda who=who, n=n: quote_make(
                project, who, [QuoteLineInput(kind="machine", resource=laser, quantity=n + 1)]
            )
            for n, who in enumerate(staff)
        ]
    )

    assert all(isinstance(o, Quote) for o in outcomes), outcomes
    rows = list(Quote.objects.filter(project=project).order_by("version"))
    assert [(q.version, q.status) for q in rows] == [(1, "superseded"), (2, "sent")]
    assert Project.objects.get(pk=project.pk).status == "quoted"
    assert StatusChange.objects.filter(project=project).count() == 1
