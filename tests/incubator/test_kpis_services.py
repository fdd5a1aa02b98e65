"""Quarterly KPI updates and their reminders: who may report, which quarter, what is
refused (nothing stored), corrections, and reminders sent once in each one's language."""

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import gettext

from fabreck.cluster.models import OrganisationPerson
from fabreck.incubator import services
from fabreck.incubator.models import KpiReminder, KpiUpdate
from fabreck.incubator.selectors import (
    kpi_survival,
    quarter_last_day,
    quarter_last_finished,
)
from fabreck.incubator.services import KpiFigures, kpi_reminders_send, kpi_update_submit
from tests.factories import UserFactory
from tests.incubator.kpis_helpers import kpi_make, kpis_cohort_make, startup_make

pytestmark = pytest.mark.django_db

TODAY = date(2026, 4, 3)  # early in Q2 2026: Q1 2026 is the last finished quarter


def _figures(**overrides) -> KpiFigures:
    values = {
        "headcount": 4,
        "revenue": Decimal("12500.50"),
        "funds_raised": Decimal("50000"),
        "customers": 7,
        "status": "active",
        "note": " First paying customers ",
    }
    values.update(overrides)
    return KpiFigures(**values)


def _founder(incubation):
    return incubation.organisation.memberships.get(role="owner").user


def test_quarters_are_computed_from_the_calendar():
    assert quarter_last_finished(date(2026, 4, 1)) == (2026, 1)
    assert quarter_last_finished(date(2026, 3, 31)) == (2025, 4)
    assert quarter_last_finished(date(2026, 1, 1)) == (2025, 4)
    assert quarter_last_day(2026, 1) == date(2026, 3, 31)
    assert quarter_last_day(2025, 4) == date(2025, 12, 31)


def test_a_founder_reports_the_last_quarter_by_default_and_corrects_it():
    incubation = startup_make(cohort=kpis_cohort_make())
    founder = _founder(incubation)

    update, created = kpi_update_submit(
        incubation=incubation, by=founder, figures=_figures(), today=TODAY
    )

    assert created and (update.year, update.quarter) == (2026, 1)
    assert update.revenue == Decimal("12500.50") and update.note == "First paying customers"
    assert update.submitted_by == founder

    again, created = kpi_update_submit(
        incubation=incubation, by=founder, figures=_figures(headcount=5), today=TODAY
    )
    assert not created and again.pk == update.pk
    assert KpiUpdate.objects.get().headcount == 5


def test_a_manager_enters_an_update_for_a_startup_and_others_are_refused(manager):
    incubation = startup_make(cohort=kpis_cohort_make())
    kpi_update_submit(
        incubation=incubation, by=manager, figures=_figures(), year=2025, quarter=3, today=TODAY
    )
    assert KpiUpdate.objects.get().submitted_by == manager

    stranger = UserFactory()
    other = startup_make(cohort=incubation.cohort, name="Other Team")
    with pytest.raises(PermissionDenied):
        kpi_update_submit(incubation=incubation, by=stranger, figures=_figures(), today=TODAY)
    with pytest.raises(PermissionDenied):  # a founder of another startup
        kpi_update_submit(
            incubation=incubation, by=_founder(other), figures=_figures(), today=TODAY
        )
    assert KpiUpdate.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("headcount", -1, "The headcount cannot be negative."),
        ("revenue", Decimal("-0.01"), "The revenue cannot be negative."),
        ("funds_raised", Decimal("-5"), "The funds raised cannot be negative."),
        ("customers", -3, "The number of customers cannot be negative."),
        ("status", "bankrupt", "Choose active, acquired or closed."),
    ],
)
def test_negative_figures_are_refused_with_a_message_and_nothing_stored(field, value, message):
    incubation = startup_make(cohort=kpis_cohort_make())
    with pytest.raises(ValidationError) as error:
        kpi_update_submit(
            incubation=incubation,
            by=_founder(incubation),
            figures=_figures(**{field: value}),
            today=TODAY,
        )
    assert error.value.message_dict == {field: [message]}
    assert not KpiUpdate.objects.exists()


def test_a_correction_with_bad_figures_leaves_the_first_update_as_it_was():
    incubation = startup_make(cohort=kpis_cohort_make())
    founder = _founder(incubation)
    kpi_update_submit(incubation=incubation, by=founder, figures=_figures(), today=TODAY)
    with pytest.raises(ValidationError):
        kpi_update_submit(
            incubation=incubation, by=founder, figures=_figures(headcount=-2), today=TODAY
        )
    assert KpiUpdate.objects.get().headcount == 4


def test_a_quarter_not_ended_or_before_the_start_is_refused():
    incubation = startup_make(cohort=kpis_cohort_make(), started_on=date(2025, 5, 10))
    founder = _founder(incubation)
    with pytest.raises(ValidationError) as error:
        kpi_update_submit(
            incubation=incubation, by=founder, figures=_figures(), year=2026, quarter=2, today=TODAY
        )
    assert "has not ended yet" in error.value.message_dict["quarter"][0]
    with pytest.raises(ValidationError) as error:
        kpi_update_submit(
            incubation=incubation, by=founder, figures=_figures(), year=2025, quarter=1, today=TODAY
        )
    assert "before the incubation started" in error.value.message_dict["quarter"][0]
    with pytest.raises(ValidationError):
        kpi_update_submit(
            incubation=incubation, by=founder, figures=_figures(), year=2025, quarter=5, today=TODAY
        )
    # The quarter it started in counts.
    kpi_update_submit(
        incubation=incubation, by=founder, figures=_figures(), year=2025, quarter=2, today=TODAY
    )
    assert KpiUpdate.objects.count() == 1


def test_a_startup_that_left_keeps_reporting():
    incubation = startup_make(
        cohort=kpis_cohort_make(),
        started_on=date(2022, 1, 10),
        phase="graduated",
        left_on=date(2024, 12, 20),
    )
    update, created = kpi_update_submit(
        incubation=incubation,
        by=_founder(incubation),
        figures=_figures(status="acquired"),
        today=TODAY,
    )
    assert created and update.status == "acquired"


def _person(incubation, language: str, role: str = "member"):
    user = UserFactory(preferred_language=language)
    OrganisationPerson.objects.create(organisation=incubation.organisation, user=user, role=role)
    return user


def test_reminders_go_once_due_then_late_to_those_who_have_not_reported(
    django_capture_on_commit_callbacks,
):
    cohort = kpis_cohort_make()
    silent = startup_make(cohort=cohort, name="Silent Co")
    french = _person(silent, "fr")
    reported = startup_make(cohort=cohort, name="Diligent Co")
    kpi_make(reported, 2026, 1)
    # Left two years ago and still asked; left five years ago or closed: not asked.
    recent = startup_make(
        cohort=cohort, name="Recent Exit", started_on=date(2021, 1, 5), phase="graduated",
        left_on=date(2024, 3, 1),
    )  # fmt: skip
    startup_make(
        cohort=cohort, name="Old Exit", started_on=date(2018, 1, 5), phase="graduated",
        left_on=date(2021, 1, 1),
    )  # fmt: skip
    closed = startup_make(
        cohort=cohort, name="Closed Co", started_on=date(2021, 1, 5), phase="left",
        left_on=date(2024, 3, 1),
    )  # fmt: skip
    kpi_make(closed, 2025, 2, status="closed")
    # Started in the current quarter: nothing to report yet.
    startup_make(cohort=cohort, name="Newcomer", started_on=date(2026, 4, 1))

    with django_capture_on_commit_callbacks(execute=True):
        assert kpi_reminders_send(today=TODAY) == 2
    recipients = sorted(m.to[0] for m in mail.outbox)
    expected = sorted([_founder(silent).email, french.email, _founder(recent).email])
    assert recipients == expected
    by_address = {m.to[0]: m for m in mail.outbox}
    assert "Silent Co" in by_address[french.email].subject
    assert "2026 Q1" in by_address[_founder(silent).email].subject
    assert "/incubator/quarterly-update/?startup=" in by_address[french.email].body
    assert set(KpiReminder.objects.values_list("kind", flat=True)) == {"due"}

    # A second run the same week sends nothing.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert kpi_reminders_send(today=date(2026, 4, 8)) == 0
    assert mail.outbox == []

    # Three weeks in: "late", once, to those still silent.
    kpi_make(recent, 2026, 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert kpi_reminders_send(today=date(2026, 4, 22)) == 1
        assert kpi_reminders_send(today=date(2026, 4, 23)) == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted([_founder(silent).email, french.email])
    # Each in the recipient's language: the French founder's subject is the French one.
    late = "%(name)s: your quarterly update for %(year)s Q%(quarter)s is late"
    for message in mail.outbox:
        language = "fr" if message.to[0] == french.email else "en"
        with translation.override(language):
            expected = gettext(late) % {"name": "Silent Co", "year": 2026, "quarter": 1}
        assert expected in message.subject
    assert "en retard" in next(m for m in mail.outbox if m.to[0] == french.email).subject


def test_reminders_are_written_in_each_recipients_language(
    django_capture_on_commit_callbacks, monkeypatch
):
    incubation = startup_make(cohort=kpis_cohort_make())
    german = _person(incubation, "de")
    french = _person(incubation, "fr")
    english = _founder(incubation)
    rendered_in: dict[str, str] = {}
    real_render = services.render_to_string

    def render(template, context):
        rendered_in[context["recipient"].email] = translation.get_language()
        return real_render(template, context)

    monkeypatch.setattr(services, "render_to_string", render)
    with django_capture_on_commit_callbacks(execute=True):
        kpi_reminders_send(today=TODAY)
    assert rendered_in == {english.email: "en", german.email: "de", french.email: "fr"}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(rendered_in)
    assert all(m.subject.startswith("[Fabreck]") for m in mail.outbox)


def test_the_management_command_sends_the_reminders(django_capture_on_commit_callbacks, capsys):
    startup_make(cohort=kpis_cohort_make())
    with django_capture_on_commit_callbacks(execute=True):
        call_command("incubator_kpi_reminders", "--today", "2026-04-02")
    assert "1 startup(s) reminded." in capsys.readouterr().out
    assert len(mail.outbox) == 1


def test_survival_counts_those_who_left_long_enough_ago_by_their_status_then():
    today = date(2026, 6, 1)
    exits = [
        (1, date(2022, 6, 30)),  # left 4 years ago: active after 1 year, closed by 3 years
        (2, date(2022, 3, 31)),  # acquired: survives both
        (3, date(2024, 12, 31)),  # 1.5 years ago: counts for one year only; no report → unknown
        (4, date(2025, 12, 31)),  # too recent for either
        (5, date(2023, 1, 15)),  # reported only before leaving → unknown
    ]
    updates = [
        (1, 2023, 2, "active"),
        (1, 2024, 4, "closed"),
        (2, 2022, 2, "active"),
        (2, 2023, 1, "acquired"),
        (5, 2022, 4, "active"),
    ]
    one, three = kpi_survival(exits=exits, updates=updates, today=today)
    assert (one.years, one.left, one.survived, one.closed, one.unknown) == (1, 4, 2, 0, 2)
    assert one.rate == Decimal("100.0")
    assert (three.years, three.left, three.survived, three.closed, three.unknown) == (3, 3, 1, 1, 1)
    assert three.rate == Decimal("50.0")


def test_the_management_command_refuses_a_bad_date():
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("incubator_kpi_reminders", "--today", "next week")
    assert not KpiReminder.objects.exists()
