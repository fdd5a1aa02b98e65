from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fabreck.cluster.models import Organisation
from fabreck.fablab.models import OrganisationPriceGroup, PrepaidAccount
from fabreck.fablab.selectors import price_group_for
from fabreck.incubator import selectors, services
from fabreck.incubator.models import Incubation, MentorSession, Milestone, PhaseChange
from fabreck.incubator.services import MentorSessionData, MilestoneData
from tests.factories import UserFactory
from tests.incubator.startups_helpers import competences, mentor_make, startup_make

pytestmark = pytest.mark.django_db


def test_defaults_give_each_working_phase_milestones_and_a_checklist_once(manager):
    incubation = startup_make(manager=manager)
    phases = set(incubation.milestones.values_list("phase", flat=True))
    assert phases == {"idea_validation", "realisation", "market"}
    assert set(incubation.checklist.values_list("phase", flat=True)) == phases
    first = incubation.milestones.order_by("due_on").first()
    assert first.due_on > incubation.started_on
    before = (incubation.milestones.count(), incubation.checklist.count())
    services.incubation_defaults_create(incubation=incubation)
    assert (incubation.milestones.count(), incubation.checklist.count()) == before


def test_phases_move_forward_and_history_is_kept(manager):
    incubation = startup_make(manager=manager)
    services.incubation_phase_move(incubation=incubation, to_phase="realisation", by=manager)
    incubation.refresh_from_db()
    assert incubation.phase == "realisation"
    assert list(incubation.phase_changes.values_list("from_phase", "to_phase")) == [
        ("", "idea_validation"),
        ("idea_validation", "realisation"),
    ]
    # Skipping back or sideways is refused, nothing changes.
    with pytest.raises(ValidationError):
        services.incubation_phase_move(
            incubation=incubation, to_phase="idea_validation", by=manager
        )
    assert Incubation.objects.get(pk=incubation.pk).phase == "realisation"
    assert PhaseChange.objects.filter(incubation=incubation).count() == 2


def test_leaving_clears_the_incubated_badge_the_agreed_price_and_the_hours_left(manager):
    incubation = startup_make(manager=manager)
    organisation = incubation.organisation
    assert price_group_for(maker=None, organisation=organisation).slug == "incubated-startup"
    account = PrepaidAccount.objects.get(organisation=organisation)
    assert account.balance_hours > 0
    with pytest.raises(ValidationError) as refused:
        services.incubation_phase_move(incubation=incubation, to_phase="left", by=manager)
    assert "note" in refused.value.message_dict
    services.incubation_phase_move(
        incubation=incubation, to_phase="left", by=manager, note="Founders took jobs."
    )
    incubation.refresh_from_db()
    assert incubation.phase == "left" and incubation.left_on == timezone.localdate()
    assert incubation.exit_note == "Founders took jobs."
    assert not Organisation.objects.get(pk=organisation.pk).incubated
    assert not OrganisationPriceGroup.objects.filter(organisation=organisation).exists()
    account.refresh_from_db()
    assert account.balance_hours == 0
    expiry = account.movements.get(kind="expiry")
    assert expiry.hours < 0 and expiry.by == manager
    with pytest.raises(ValidationError):
        services.incubation_phase_move(
            incubation=incubation, to_phase="graduated", by=manager, note="x"
        )


def test_only_managers_move_phases_and_not_into_the_future(manager):
    incubation = startup_make(manager=manager)
    founder = incubation.application.applicant
    with pytest.raises(PermissionDenied):
        services.incubation_phase_move(incubation=incubation, to_phase="realisation", by=founder)
    with pytest.raises(ValidationError):
        services.incubation_phase_move(
            incubation=incubation,
            to_phase="realisation",
            by=manager,
            on=timezone.localdate() + timedelta(days=1),
        )
    assert Incubation.objects.get(pk=incubation.pk).phase == "idea_validation"


def test_milestones_created_edited_and_done_with_evidence(manager, settings):
    incubation = startup_make(manager=manager)
    founder = incubation.application.applicant
    due = timezone.localdate() + timedelta(days=30)
    data = MilestoneData(phase="realisation", title="Pilot with a retailer", due_on=due)
    with pytest.raises(PermissionDenied):
        services.milestone_create(incubation=incubation, by=founder, data=data)
    milestone = services.milestone_create(incubation=incubation, by=manager, data=data)
    services.milestone_update(
        milestone=milestone,
        by=manager,
        data=MilestoneData(phase="market", title="Pilot with two retailers", due_on=due),
    )
    milestone.refresh_from_db()
    assert (milestone.phase, milestone.title) == ("market", "Pilot with two retailers")
    with pytest.raises(ValidationError) as refused:
        services.milestone_done(milestone=milestone, by=founder)
    assert "evidence" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.milestone_done(
            milestone=milestone,
            by=founder,
            evidence_file=SimpleUploadedFile("run.exe", b"MZ"),
        )
    assert "evidence_file" in refused.value.message_dict
    assert Milestone.objects.get(pk=milestone.pk).done_on is None
    services.milestone_done(
        milestone=milestone,
        by=founder,
        evidence="Signed pilot",
        evidence_file=SimpleUploadedFile("pilot.pdf", b"%PDF-1.4"),
    )
    milestone.refresh_from_db()
    assert milestone.done_on == timezone.localdate()
    assert milestone.evidence_file.read() == b"%PDF-1.4"
    # A stranger cannot mark a milestone.
    with pytest.raises(PermissionDenied):
        services.milestone_done(milestone=milestone, by=UserFactory(), evidence="x")


def test_evidence_file_too_large_is_refused(manager, settings):
    settings.INCUBATOR_UPLOAD_MAX_BYTES = 10
    milestone = startup_make(manager=manager).milestones.first()
    with pytest.raises(ValidationError):
        services.milestone_done(
            milestone=milestone,
            by=manager,
            evidence_file=SimpleUploadedFile("deck.pdf", b"x" * 11),
        )
    assert Milestone.objects.get(pk=milestone.pk).done_on is None


def test_checklist_ticked_by_founders_added_by_managers(manager):
    incubation = startup_make(manager=manager)
    founder = incubation.application.applicant
    item = incubation.checklist.first()
    services.checklist_item_check(item=item, by=founder, done=True)
    item.refresh_from_db()
    assert item.done_at is not None and item.done_by == founder
    services.checklist_item_check(item=item, by=founder, done=False)
    item.refresh_from_db()
    assert item.done_at is None
    with pytest.raises(PermissionDenied):
        services.checklist_item_check(item=item, by=UserFactory(), done=True)
    with pytest.raises(PermissionDenied):
        services.checklist_item_add(incubation=incubation, by=founder, phase="market", label="x")
    added = services.checklist_item_add(
        incubation=incubation, by=manager, phase="market", label="Trade fair booked"
    )
    assert added.position == 3


def test_hosting_needs_a_site_and_a_fee_not_negative(manager):
    from tests.fablab.helpers import site_make

    incubation = startup_make(manager=manager)
    site = site_make()
    with pytest.raises(ValidationError) as refused:
        services.incubation_hosting_set(incubation=incubation, by=manager, hosting="desk")
    assert "site" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.incubation_hosting_set(
            incubation=incubation, by=manager, hosting="office", site=site, monthly_fee=-1
        )
    assert "monthly_fee" in refused.value.message_dict
    assert Incubation.objects.get(pk=incubation.pk).hosting == "none"
    services.incubation_hosting_set(
        incubation=incubation, by=manager, hosting="desk", site=site, monthly_fee=Decimal("150")
    )
    incubation.refresh_from_db()
    assert (incubation.hosting, incubation.hosting_site, incubation.hosting_monthly_fee) == (
        "desk",
        site,
        Decimal("150.00"),
    )


def test_suggested_mentors_ranked_by_needed_competences_they_cover(manager):
    incubation = startup_make(manager=manager)
    a, b, c = competences(3)
    services.incubation_competences_set(incubation=incubation, by=manager, competences=[a, b])
    both = mentor_make(competence_list=[a, b, c], last_name="Zeller")
    one = mentor_make(competence_list=[b], last_name="Adam")
    mentor_make(competence_list=[c], last_name="Other")
    mentor_make(competence_list=[a, b], active=False, last_name="Asleep")
    suggested = selectors.mentors_suggested(incubation=incubation)
    assert [(row.mentor, row.count) for row in suggested] == [(both, 2), (one, 1)]
    assert suggested[0].covered == sorted([a, b], key=lambda x: x.label)


def test_mentor_pool_managed_by_managers(manager):
    user = UserFactory()
    with pytest.raises(PermissionDenied):
        services.mentor_save(user=user, by=user, bio="me", competences=competences(1))
    with pytest.raises(ValidationError):
        services.mentor_save(user=user, by=manager, bio="me", competences=[])
    mentor = services.mentor_save(user=user, by=manager, bio="Sales", competences=competences(2))
    assert mentor.competences.count() == 2 and mentor.active
    services.mentor_save(user=user, by=manager, bio="Sales", active=False)
    mentor.refresh_from_db()
    assert not mentor.active and mentor.competences.count() == 2


def test_mentor_sessions_logged_by_mentor_or_manager_with_checked_hours(manager):
    incubation = startup_make(manager=manager)
    mentor = mentor_make(competence_list=competences(1))
    today = timezone.localdate()
    good = MentorSessionData(held_on=today, hours=Decimal("1.5"), topics="Pricing")
    with pytest.raises(PermissionDenied):  # the startup needs none of their competences
        services.mentor_session_log(incubation=incubation, by=mentor.user, data=good)
    incubation.needed_competences.set(mentor.competences.all())
    session = services.mentor_session_log(incubation=incubation, by=mentor.user, data=good)
    assert session.mentor == mentor and session.logged_by == mentor.user
    services.mentor_session_log(incubation=incubation, by=manager, data=good, mentor=mentor)
    for hours in ("0", "-1", "24.5"):
        with pytest.raises(ValidationError) as refused:
            services.mentor_session_log(
                incubation=incubation,
                by=mentor.user,
                data=MentorSessionData(held_on=today, hours=Decimal(hours), topics="x"),
            )
        assert "hours" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.mentor_session_log(
            incubation=incubation,
            by=mentor.user,
            data=MentorSessionData(held_on=today + timedelta(days=1), hours=1, topics="x"),
        )
    with pytest.raises(PermissionDenied):
        services.mentor_session_log(incubation=incubation, by=UserFactory(), data=good)
    other = mentor_make(competence_list=competences(1))
    with pytest.raises(PermissionDenied):
        services.mentor_session_log(incubation=incubation, by=mentor.user, data=good, mentor=other)
    assert MentorSession.objects.count() == 2


def test_sessions_are_not_logged_for_a_startup_that_left(manager):
    incubation = startup_make(manager=manager)
    mentor = mentor_make(competence_list=competences(1))
    incubation.needed_competences.set(mentor.competences.all())
    data = MentorSessionData(held_on=timezone.localdate(), hours=1, topics="x")
    services.mentor_session_log(incubation=incubation, by=mentor.user, data=data)
    services.incubation_phase_move(incubation=incubation, to_phase="left", by=manager, note="x")
    with pytest.raises(ValidationError):
        services.mentor_session_log(
            incubation=Incubation.objects.get(pk=incubation.pk),
            by=mentor.user,
            data=data,
        )
    assert MentorSession.objects.count() == 1


def test_founders_see_their_own_startup_only(manager):
    mine = startup_make(manager=manager)
    other = startup_make(manager=manager, name="Other Co", call=mine.application.call)
    founder = mine.application.applicant
    assert selectors.startup_visible_to(pk=mine.pk, user=founder) == mine
    from django.http import Http404

    with pytest.raises(Http404):
        selectors.startup_visible_to(pk=other.pk, user=founder)
    assert list(selectors.startups_of_user(user=founder)) == [mine]
