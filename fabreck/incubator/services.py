"""Writes of the incubator. Each service checks who acts, works in one transaction and
sends its e-mails on commit."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from uuid import uuid4

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fabreck.accounts.models import User
from fabreck.cluster.models import (
    Commune,
    Competence,
    NaceClass,
    Organisation,
    OrganisationInvitation,
    OrganisationPerson,
    Sector,
)
from fabreck.cluster.services import (
    OrganisationData,
    membership_decide,
    organisation_apply,
    organisation_incubated_set,
    organisation_kind_set,
    person_invite,
)
from fabreck.core.mail import email_send_on_commit
from fabreck.fablab.models import PriceGroup, Site
from fabreck.fablab.services import (
    organisation_price_group_set,
    prepaid_hours_expire,
    prepaid_hours_grant,
)
from fabreck.incubator.models import (
    APPLICATION_TRANSITIONS,
    DECISION_STATUSES,
    EXIT_PHASES,
    PHASE_TRANSITIONS,
    WORKING_PHASES,
    Answer,
    Application,
    ChecklistItem,
    Cohort,
    Criterion,
    Founder,
    HostingKind,
    Incubation,
    IncubatorCall,
    KpiReminder,
    KpiUpdate,
    Mentor,
    MentorSession,
    Milestone,
    PhaseChange,
    Question,
    QuestionKind,
    Review,
    Score,
    StartupStage,
    StartupStatus,
)
from fabreck.incubator.selectors import (
    call_applications_submitted,
    kpi_reminder_targets,
    mentor_follows,
    organisations_for_applicant,
    quarter_first_day,
    quarter_last_day,
    quarter_last_finished,
    quarter_next,
    user_in_application_team,
    user_manages_incubator,
    user_mentors,
    user_speaks_for_startup,
)

INCUBATED_PRICE_GROUP = "incubated-startup"


def _ensure_manager(user: User) -> None:
    if not user_manages_incubator(user=user):
        raise PermissionDenied(_("Only the incubator's managers may do this."))


def _free_slug(name: str) -> str:
    base = slugify(name)[:70] or "startup"
    slug, n = base, 2
    while Organisation.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _startup_organisation(application: Application) -> Organisation:
    """The accepted team's organisation: theirs if they applied with one, else a new
    member organisation of kind startup, owned by the applicant."""
    if application.organisation_id:
        organisation = application.organisation
        if organisation.kind != Organisation.Kind.STARTUP:
            organisation_kind_set(organisation=organisation, kind=Organisation.Kind.STARTUP)
    else:
        primary = (
            NaceClass.objects.filter(nacesector__sector=application.sector, nacesector__link="core")
            .order_by("code")
            .first()
            or NaceClass.objects.order_by("code").first()
        )
        founders = application.founders.count() or 1
        organisation = organisation_apply(
            user=application.applicant,
            data=OrganisationData(
                name=application.startup_name,
                slug=_free_slug(application.startup_name),
                kind=Organisation.Kind.STARTUP,
                size_band="1" if founders == 1 else "2-9",
                headcount=founders,
                founded_year=timezone.localdate().year,
                commune=application.commune or Commune.objects.order_by("pk").first(),
                sectors=[application.sector],
                primary_nace=primary,
                competences=[],
                description_en=application.idea[:2000],
                email=application.applicant.email,
                # Accepted teams appear in the directory as incubated (the call says so).
                directory_consent=True,
            ),
        )
        Application.objects.filter(pk=application.pk).update(organisation=organisation)
        application.organisation = organisation
    OrganisationPerson.objects.get_or_create(
        organisation=organisation,
        user=application.applicant,
        defaults={"role": OrganisationPerson.Role.OWNER},
    )
    # The other founders are invited by e-mail, as admins: they join by accepting, with the
    # account of that address (typing an address into the team grants nobody anything).
    applicant_email = application.applicant.email.lower()
    role = (
        OrganisationPerson.Role.ADMIN
        if organisation.memberships.filter(
            user=application.applicant, role=OrganisationPerson.Role.OWNER
        ).exists()
        else OrganisationPerson.Role.MEMBER  # (only owners invite admins)
    )
    for founder in application.founders.all():
        email = founder.email.strip().lower()
        if not email or email == applicant_email:
            continue
        if (
            OrganisationInvitation.objects.filter(
                organisation=organisation, email=email, accepted_at=None, revoked_at=None
            ).exists()
            or organisation.memberships.filter(user__email__iexact=email).exists()
        ):
            continue
        person_invite(
            organisation=organisation,
            by=application.applicant,
            email=email,
            role=role,
        )
    return organisation


def incubation_start(
    *, application: Application, by: User, started_on: date | None = None
) -> Incubation:
    """Admit an accepted application's startup into its call's cohort: it becomes a member
    organisation of the cluster (kind startup, shown as incubated), pays the
    incubated-startup price at the FabLab, and receives its grant of prepaid machine hours.
    Called by the decision service when the manager accepts."""
    _ensure_manager(by)
    if application.status != Application.Status.ACCEPTED:
        raise ValidationError(_("Only an accepted application starts an incubation."))
    started_on = started_on or timezone.localdate()
    with transaction.atomic():
        existing = Incubation.objects.filter(application=application).first()
        if existing is not None:
            return existing
        organisation = _startup_organisation(application)
        if Incubation.objects.filter(organisation=organisation).exists():
            raise ValidationError(
                _("%(name)s is already incubated.") % {"name": organisation.name},
                code="already_incubated",
            )
        if organisation.status != Organisation.Status.MEMBER:
            membership_decide(
                organisation=organisation,
                status=Organisation.Status.MEMBER,
                by=by,
                reason=_("Admitted to the incubator."),
            )
        organisation_incubated_set(organisation=organisation, incubated=True)
        incubation = Incubation.objects.create(
            organisation=organisation,
            cohort=application.call.cohort,
            application=application,
            started_on=started_on,
            phase=Incubation.Phase.IDEA_VALIDATION,
            phase_since=started_on,
        )
        incubation.needed_competences.set(application.needed_competences.all())
        PhaseChange.objects.create(
            incubation=incubation,
            from_phase="",
            to_phase=Incubation.Phase.IDEA_VALIDATION,
            on=started_on,
            by=by,
        )
        group = PriceGroup.objects.filter(slug=INCUBATED_PRICE_GROUP).first()
        if group is not None:
            organisation_price_group_set(
                organisation=organisation, price_group=group, note=_("Incubated startup")
            )
        hours = Decimal(settings.INCUBATOR_PREPAID_HOURS)
        if hours > 0:
            prepaid_hours_grant(
                organisation=organisation,
                hours=hours,
                by=by,
                note=_("Incubator grant: %(cohort)s") % {"cohort": incubation.cohort.name},
            )
        incubation_defaults_create(incubation=incubation)
    return incubation


# --- startups ---


# What every incubation starts with, per working phase: milestones (title, months after the
# start they are due) and checklist items. Stored in English as data the staff edit.
STARTUPS_DEFAULT_MILESTONES: dict[str, tuple[tuple[str, int], ...]] = {
    "idea_validation": (
        ("Customer interviews: 20 potential customers met", 3),
        ("Problem and solution validated with the incubator", 6),
    ),
    "realisation": (
        ("First working prototype", 12),
        ("Business plan and financing plan", 15),
    ),
    "market": (
        ("First paying customers", 24),
        ("Financing round or sustainable revenue", 33),
    ),
}
STARTUPS_DEFAULT_CHECKLIST: dict[str, tuple[str, ...]] = {
    "idea_validation": (
        "Incubation agreement signed",
        "Company founded or founding date planned",
        "FabLab safety training",
    ),
    "realisation": (
        "Bank account opened",
        "Intellectual property reviewed",
        "Prototype documented in the gallery",
    ),
    "market": (
        "Pricing defined",
        "Sales pipeline in place",
        "Exit plan from the incubator agreed",
    ),
}


def _startups_add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _startups_ensure_running(incubation: Incubation) -> None:
    if not incubation.is_running:
        raise ValidationError(
            _("%(name)s has left the incubator: its record is closed.")
            % {"name": incubation.organisation.name},
            code="not_running",
        )


def _startups_ensure_founder_or_manager(user: User, incubation: Incubation) -> None:
    if not (
        user_manages_incubator(user=user)
        or user_speaks_for_startup(user=user, incubation=incubation)
    ):
        raise PermissionDenied(
            _("Only the startup's people and the incubator's managers may do this.")
        )


def incubation_defaults_create(*, incubation: Incubation) -> None:
    """The default milestones (due dates counted from the start) and checklist of every
    working phase, once: an incubation that already has some keeps what it has.
    incubation_start calls it."""
    with transaction.atomic():
        if not incubation.milestones.exists():
            Milestone.objects.bulk_create(
                Milestone(
                    incubation=incubation,
                    phase=phase,
                    title=title,
                    due_on=_startups_add_months(incubation.started_on, months),
                )
                for phase, items in STARTUPS_DEFAULT_MILESTONES.items()
                for title, months in items
            )
        if not incubation.checklist.exists():
            ChecklistItem.objects.bulk_create(
                ChecklistItem(incubation=incubation, phase=phase, label=label, position=position)
                for phase, labels in STARTUPS_DEFAULT_CHECKLIST.items()
                for position, label in enumerate(labels)
            )


def _startups_incubation_locked(pk: int) -> Incubation:
    """The incubation, its row locked for this transaction: phase moves go one at a time."""
    return Incubation.objects.select_for_update().select_related("organisation").get(pk=pk)


def _startups_phase_check(incubation: Incubation, *, to_phase: str, on: date, note: str) -> None:
    if to_phase not in PHASE_TRANSITIONS.get(incubation.phase, frozenset()):
        raise ValidationError(
            _("A startup in phase “%(from)s” cannot move to “%(to)s”.")
            % {
                "from": incubation.get_phase_display(),
                "to": dict(Incubation.Phase.choices).get(to_phase, to_phase),
            },
            code="transition",
        )
    if on > timezone.localdate():
        raise ValidationError({"on": _("The date cannot be in the future.")}, code="future")
    if on < incubation.phase_since:
        raise ValidationError(
            {"on": _("The date cannot be before the current phase began.")}, code="before"
        )
    if to_phase in EXIT_PHASES and not note.strip():
        raise ValidationError(
            {"note": _("Say why and how the startup leaves.")}, code="note_required"
        )


def incubation_phase_move(
    *, incubation: Incubation, to_phase: str, by: User, on: date | None = None, note: str = ""
) -> Incubation:
    """Move a startup to its next phase, or out (graduated or left, with a date and a
    note). Leaving ends its incubated badge and its incubated-startup price."""
    _ensure_manager(by)
    on = on or timezone.localdate()
    with transaction.atomic():
        incubation = _startups_incubation_locked(incubation.pk)
        _startups_phase_check(incubation, to_phase=to_phase, on=on, note=note)
        previous = incubation.phase
        incubation.phase = to_phase
        incubation.phase_since = on
        fields = ["phase", "phase_since", "updated_at"]
        if to_phase in EXIT_PHASES:
            incubation.left_on = on
            incubation.exit_note = note.strip()[:500]
            fields += ["left_on", "exit_note"]
        incubation.save(update_fields=fields)
        PhaseChange.objects.create(
            incubation=incubation,
            from_phase=previous,
            to_phase=to_phase,
            on=on,
            note=note.strip()[:500],
            by=by,
        )
        if to_phase in EXIT_PHASES:
            organisation_incubated_set(organisation=incubation.organisation, incubated=False)
            organisation_price_group_set(
                organisation=incubation.organisation,
                price_group=None,
                note=_("Left the incubator"),
            )
            # The grant served the incubation: what is left of it does not go on.
            prepaid_hours_expire(
                organisation=incubation.organisation, by=by, note=_("Left the incubator")
            )
    return incubation


@dataclass(frozen=True)
class MilestoneData:
    phase: str
    title: str
    due_on: date
    description: str = ""


def _startups_milestone_check(data: MilestoneData) -> None:
    if data.phase not in WORKING_PHASES:
        raise ValidationError({"phase": _("Choose a working phase.")}, code="phase")
    if not data.title.strip():
        raise ValidationError({"title": _("Give the milestone a title.")}, code="title")


def milestone_create(*, incubation: Incubation, by: User, data: MilestoneData) -> Milestone:
    _ensure_manager(by)
    _startups_milestone_check(data)
    with transaction.atomic():
        _startups_ensure_running(incubation)
        return Milestone.objects.create(
            incubation=incubation,
            phase=data.phase,
            title=data.title.strip(),
            description=data.description.strip(),
            due_on=data.due_on,
        )


def milestone_update(*, milestone: Milestone, by: User, data: MilestoneData) -> Milestone:
    _ensure_manager(by)
    _startups_milestone_check(data)
    with transaction.atomic():
        milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
        milestone.phase = data.phase
        milestone.title = data.title.strip()
        milestone.description = data.description.strip()
        milestone.due_on = data.due_on
        milestone.save(update_fields=["phase", "title", "description", "due_on", "updated_at"])
    return milestone


def milestone_done(
    *,
    milestone: Milestone,
    by: User,
    evidence: str = "",
    evidence_file: UploadedFile | None = None,
    done_on: date | None = None,
) -> Milestone:
    """Mark a milestone done with its evidence (a text, a file, or both): the startup's
    people or a manager."""
    incubation = milestone.incubation
    _startups_ensure_founder_or_manager(by, incubation)
    evidence = evidence.strip()
    if not evidence and not evidence_file:
        raise ValidationError(
            {"evidence": _("Describe the evidence or attach a file.")}, code="evidence"
        )
    if evidence_file:
        upload_check(evidence_file, field_name="evidence_file")
    done_on = done_on or timezone.localdate()
    if done_on > timezone.localdate():
        raise ValidationError({"done_on": _("The date cannot be in the future.")}, code="future")
    with transaction.atomic():
        milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
        _startups_ensure_running(incubation)
        milestone.evidence = evidence
        if evidence_file:
            milestone.evidence_file.save(evidence_file.name, evidence_file, save=False)
        milestone.done_on = done_on
        milestone.save(update_fields=["evidence", "evidence_file", "done_on", "updated_at"])
    return milestone


def checklist_item_add(
    *, incubation: Incubation, by: User, phase: str, label: str
) -> ChecklistItem:
    _ensure_manager(by)
    if phase not in WORKING_PHASES:
        raise ValidationError({"phase": _("Choose a working phase.")}, code="phase")
    if not label.strip():
        raise ValidationError({"label": _("Write the item.")}, code="label")
    with transaction.atomic():
        _startups_ensure_running(incubation)
        last = incubation.checklist.filter(phase=phase).order_by("-position").first()
        return ChecklistItem.objects.create(
            incubation=incubation,
            phase=phase,
            label=label.strip()[:200],
            position=(last.position + 1) if last else 0,
        )


def checklist_item_check(*, item: ChecklistItem, by: User, done: bool) -> ChecklistItem:
    """Tick (or untick) a checklist item: the startup's people or a manager."""
    _startups_ensure_founder_or_manager(by, item.incubation)
    with transaction.atomic():
        item = ChecklistItem.objects.select_for_update().get(pk=item.pk)
        item.done_at = timezone.now() if done else None
        item.done_by = by if done else None
        item.save(update_fields=["done_at", "done_by"])
    return item


def incubation_hosting_set(
    *,
    incubation: Incubation,
    by: User,
    hosting: str,
    site: Site | None = None,
    monthly_fee: Decimal | None = None,
) -> Incubation:
    """Where the startup works: no hosting, or a desk or an office at a FabLab site, with
    its monthly fee."""
    _ensure_manager(by)
    if hosting not in HostingKind.values:
        raise ValidationError({"hosting": _("Choose a kind of hosting.")}, code="hosting")
    fee = Decimal(monthly_fee if monthly_fee is not None else "0")
    if hosting == HostingKind.NONE:
        site, fee = None, Decimal("0")
    elif site is None:
        raise ValidationError({"site": _("Choose the site of the desk or office.")}, code="site")
    if fee < 0:
        raise ValidationError({"monthly_fee": _("The monthly fee cannot be negative.")}, code="fee")
    with transaction.atomic():
        incubation = Incubation.objects.select_for_update().get(pk=incubation.pk)
        _startups_ensure_running(incubation)
        incubation.hosting = hosting
        incubation.hosting_site = site
        incubation.hosting_monthly_fee = fee.quantize(Decimal("0.01"))
        incubation.save(
            update_fields=["hosting", "hosting_site", "hosting_monthly_fee", "updated_at"]
        )
    return incubation


def incubation_competences_set(
    *, incubation: Incubation, by: User, competences: list[Competence]
) -> Incubation:
    """The competences the startup needs (mentors are suggested from them)."""
    _ensure_manager(by)
    with transaction.atomic():
        incubation.needed_competences.set(competences)
    return incubation


def mentor_save(
    *,
    user: User,
    by: User,
    bio: str = "",
    competences: list[Competence] | None = None,
    active: bool = True,
) -> Mentor:
    """Add a user to the mentor pool, or update their entry (bio, competences, active)."""
    _ensure_manager(by)
    if not user.is_active:
        raise ValidationError({"user": _("This account is not active.")}, code="inactive")
    if competences is not None and not competences:
        raise ValidationError(
            {"competences": _("Choose at least one competence the mentor brings.")},
            code="competences",
        )
    with transaction.atomic():
        mentor, _created = Mentor.objects.select_for_update().get_or_create(user=user)
        mentor.bio = bio.strip()
        mentor.active = active
        mentor.save()
        if competences is not None:
            mentor.competences.set(competences)
    return mentor


@dataclass(frozen=True)
class MentorSessionData:
    held_on: date
    hours: Decimal
    topics: str
    next_steps: str = ""


def mentor_session_log(
    *,
    incubation: Incubation,
    by: User,
    data: MentorSessionData,
    mentor: Mentor | None = None,
) -> MentorSession:
    """Log a mentoring session with a running startup: by the mentor (themselves) or by a
    manager (for any mentor of the pool)."""
    manages = user_manages_incubator(user=by)
    own = user_mentors(user=by)
    if mentor is None:
        mentor = own
    if mentor is None:
        if manages:
            raise ValidationError({"mentor": _("Choose the mentor.")}, code="mentor")
        raise PermissionDenied(_("Only mentors and the incubator's managers log sessions."))
    if not manages and (own is None or own.pk != mentor.pk):
        raise PermissionDenied(_("Mentors log their own sessions only."))
    if not manages and not mentor_follows(mentor=mentor, incubation=incubation):
        raise PermissionDenied(
            _("Mentors log sessions with the startups that need their competences.")
        )
    if not mentor.active:
        raise ValidationError(
            {"mentor": _("This mentor no longer takes on startups.")}, code="mentor_inactive"
        )
    hours = Decimal(data.hours)
    if not (Decimal("0") < hours <= Decimal("24")):
        raise ValidationError(
            {"hours": _("A session lasts more than 0 and at most 24 hours.")}, code="hours"
        )
    if hours != hours.quantize(Decimal("0.01")):
        raise ValidationError(
            {"hours": _("Give the hours with at most two decimals.")}, code="hours"
        )
    if data.held_on > timezone.localdate():
        raise ValidationError(
            {"held_on": _("A session is logged once it has taken place.")}, code="future"
        )
    if data.held_on < incubation.started_on:
        raise ValidationError(
            {"held_on": _("The session cannot be before the incubation started.")},
            code="before_start",
        )
    if not data.topics.strip():
        raise ValidationError({"topics": _("Say what the session was about.")}, code="topics")
    with transaction.atomic():
        _startups_ensure_running(incubation)
        return MentorSession.objects.create(
            incubation=incubation,
            mentor=mentor,
            held_on=data.held_on,
            hours=hours,
            topics=data.topics.strip(),
            next_steps=data.next_steps.strip(),
            logged_by=by,
        )


# --- calls ---


MAX_FOUNDERS = 10


@dataclass(frozen=True)
class CohortData:
    name: str
    slug: str
    year: int
    starts_on: date
    description: str = ""


def cohort_create(*, by: User, data: CohortData) -> Cohort:
    """A new cohort (its slug is unique)."""
    _ensure_manager(by)
    slug = data.slug or slugify(data.name)[:80]
    if not slug:
        raise ValidationError({"slug": [_("Give the cohort a slug (letters, digits, dashes).")]})
    with transaction.atomic():
        if Cohort.objects.filter(slug=slug).exists():
            raise ValidationError({"slug": [_("Another cohort already uses this slug.")]})
        return Cohort.objects.create(
            name=data.name,
            slug=slug,
            year=data.year,
            starts_on=data.starts_on,
            description=data.description,
        )


@dataclass(frozen=True)
class CallData:
    cohort: Cohort
    slug: str
    title_en: str
    opens_at: datetime
    closes_at: datetime
    title_fr: str = ""
    title_de: str = ""
    description_en: str = ""
    description_fr: str = ""
    description_de: str = ""
    eligibility_en: str = ""
    eligibility_fr: str = ""
    eligibility_de: str = ""
    score_max: int = 5
    published: bool = False


def _call_data_check(data: CallData, *, call: IncubatorCall | None) -> None:
    problems: dict[str, list[str]] = {}
    if not data.title_en.strip():
        problems.setdefault("title_en", []).append(_("Give the call an English title."))
    if data.closes_at <= data.opens_at:
        problems.setdefault("closes_at", []).append(_("The call must close after it opens."))
    if not 1 <= data.score_max <= 100:
        problems.setdefault("score_max", []).append(
            _("The highest score is between 1 and 100 points.")
        )
    if not data.slug:
        problems.setdefault("slug", []).append(_("Give the call a slug (letters, digits, dashes)."))
    elif (
        IncubatorCall.objects.filter(slug=data.slug).exclude(pk=call.pk if call else None).exists()
    ):
        problems.setdefault("slug", []).append(_("Another call already uses this slug."))
    if (
        call is not None
        and data.score_max != call.score_max
        and call_applications_submitted(call=call)
    ):
        problems.setdefault("score_max", []).append(
            _(
                "The scale cannot change once applications are submitted: "
                "the jury scores them on it."
            )
        )
    if problems:
        raise ValidationError(problems)


def call_create(*, by: User, data: CallData) -> IncubatorCall:
    """A new call of a cohort, unpublished unless told otherwise."""
    _ensure_manager(by)
    with transaction.atomic():
        _call_data_check(data, call=None)
        return IncubatorCall.objects.create(created_by=by, **data.__dict__)


def call_update(*, call: IncubatorCall, by: User, data: CallData) -> IncubatorCall:
    """Change a call's texts, dates, scale or publication."""
    _ensure_manager(by)
    with transaction.atomic():
        call = call_locked(call.pk)
        _call_data_check(data, call=call)
        for name, value in data.__dict__.items():
            setattr(call, name, value)
        call.save()
    return call


def call_locked(pk: int) -> IncubatorCall:
    """The call's row, locked until the transaction ends: its question and criterion
    edits, and the saves and submissions of its applications, take turns on it."""
    return IncubatorCall.objects.select_for_update().get(pk=pk)


def _ensure_structure_editable(call: IncubatorCall) -> None:
    if call_applications_submitted(call=call):
        raise ValidationError(
            _(
                "Applications have been submitted to this call: its questions and criteria "
                "can no longer change, so that every team and every reviewer see the same call."
            ),
            code="call_has_submissions",
        )


@dataclass(frozen=True)
class QuestionData:
    kind: str
    label_en: str
    label_fr: str = ""
    label_de: str = ""
    help_text: str = ""
    choices: str = ""
    required: bool = True


def _question_data_check(data: QuestionData) -> None:
    problems: dict[str, list[str]] = {}
    if data.kind not in QuestionKind.values:
        problems["kind"] = [_("Choose a kind of question.")]
    if not data.label_en.strip():
        problems["label_en"] = [_("Write the question in English.")]
    if data.kind == QuestionKind.CHOICE and not [
        line for line in data.choices.splitlines() if line.strip()
    ]:
        problems["choices"] = [_("A choice question needs its options, one per line.")]
    if problems:
        raise ValidationError(problems)


def _question_fields(data: QuestionData) -> dict[str, Any]:
    fields = dict(data.__dict__)
    if data.kind != QuestionKind.CHOICE:
        fields["choices"] = ""
    else:
        fields["choices"] = "\n".join(
            line.strip() for line in data.choices.splitlines() if line.strip()
        )
    return fields


def question_add(*, call: IncubatorCall, by: User, data: QuestionData) -> Question:
    """A new question at the end of the call's list."""
    _ensure_manager(by)
    _question_data_check(data)
    with transaction.atomic():
        call = call_locked(call.pk)
        _ensure_structure_editable(call)
        last = call.questions.aggregate(last=Max("position"))["last"]
        return Question.objects.create(
            call=call, position=0 if last is None else last + 1, **_question_fields(data)
        )


def question_update(*, question: Question, by: User, data: QuestionData) -> Question:
    _ensure_manager(by)
    _question_data_check(data)
    with transaction.atomic():
        call_locked(question.call_id)
        _ensure_structure_editable(question.call)
        for name, value in _question_fields(data).items():
            setattr(question, name, value)
        question.save()
    return question


def _renumber(rows: list) -> None:
    for position, row in enumerate(rows):
        if row.position != position:
            row.position = position
            row.save(update_fields=["position"])


def question_move(*, question: Question, by: User, up: bool) -> None:
    """Move a question one place up or down in its call's list."""
    _ensure_manager(by)
    with transaction.atomic():
        call_locked(question.call_id)
        _ensure_structure_editable(question.call)
        rows = list(Question.objects.filter(call_id=question.call_id).order_by("position", "pk"))
        index = next(i for i, row in enumerate(rows) if row.pk == question.pk)
        other = index - 1 if up else index + 1
        if 0 <= other < len(rows):
            rows[index], rows[other] = rows[other], rows[index]
        _renumber(rows)


def question_remove(*, question: Question, by: User) -> None:
    _ensure_manager(by)
    with transaction.atomic():
        call_locked(question.call_id)
        _ensure_structure_editable(question.call)
        call_id = question.call_id
        question.delete()
        _renumber(list(Question.objects.filter(call_id=call_id).order_by("position", "pk")))


@dataclass(frozen=True)
class CriterionData:
    label_en: str
    weight: Decimal
    label_fr: str = ""
    label_de: str = ""
    description: str = ""


def _criterion_data_check(data: CriterionData) -> None:
    problems: dict[str, list[str]] = {}
    if not data.label_en.strip():
        problems["label_en"] = [_("Name the criterion in English.")]
    if data.weight is None or not (Decimal("0.01") <= data.weight <= Decimal("999.99")):
        problems["weight"] = [_("A weight is between 0.01 and 999.99.")]
    if problems:
        raise ValidationError(problems)


def criterion_add(*, call: IncubatorCall, by: User, data: CriterionData) -> Criterion:
    _ensure_manager(by)
    _criterion_data_check(data)
    with transaction.atomic():
        call = call_locked(call.pk)
        _ensure_structure_editable(call)
        last = call.criteria.aggregate(last=Max("position"))["last"]
        return Criterion.objects.create(
            call=call, position=0 if last is None else last + 1, **data.__dict__
        )


def criterion_update(*, criterion: Criterion, by: User, data: CriterionData) -> Criterion:
    _ensure_manager(by)
    _criterion_data_check(data)
    with transaction.atomic():
        call_locked(criterion.call_id)
        _ensure_structure_editable(criterion.call)
        for name, value in data.__dict__.items():
            setattr(criterion, name, value)
        criterion.save()
    return criterion


def criterion_remove(*, criterion: Criterion, by: User) -> None:
    _ensure_manager(by)
    with transaction.atomic():
        call_locked(criterion.call_id)
        _ensure_structure_editable(criterion.call)
        call_id = criterion.call_id
        criterion.delete()
        _renumber(list(Criterion.objects.filter(call_id=call_id).order_by("position", "pk")))


# Applications ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FounderData:
    name: str
    email: str
    role: str = ""


@dataclass(frozen=True)
class ApplicationData:
    startup_name: str
    sector: Sector | None
    commune: Commune | None = None
    stage: str = StartupStage.IDEA
    idea: str = ""
    market: str = ""
    needs: str = ""
    needed_competences: list[Competence] = field(default_factory=list)
    founders: list[FounderData] = field(default_factory=list)
    organisation: Organisation | None = None
    # Question pk → the answer: text, a number as text, an option, or an uploaded file;
    # a question left out keeps its answer, None or "" clears it.
    answers: dict[int, Any] = field(default_factory=dict)
    # A new pitch deck, or None to keep the one uploaded before.
    pitch_deck: Any = None


def upload_check(upload, *, field_name: str) -> None:
    """A founder's file must be of an accepted kind, not empty and not too large."""
    allowed = {extension.lower() for extension in settings.INCUBATOR_UPLOAD_EXTENSIONS}
    limit = settings.INCUBATOR_UPLOAD_MAX_BYTES
    name = Path(getattr(upload, "name", "") or "").name
    extension = Path(name).suffix.lower().lstrip(".")
    if extension not in allowed:
        message = _("“%(name)s”: files of this type are not accepted (accepted: %(kinds)s).") % {
            "name": name,
            "kinds": ", ".join(sorted(allowed)),
        }
    elif upload.size is None or upload.size > limit:
        message = _("“%(name)s” is too large: at most %(limit)s MB.") % {
            "name": name,
            "limit": f"{limit / 2**20:.0f}",
        }
    elif upload.size == 0:
        message = _("“%(name)s” is empty.") % {"name": name}
    else:
        return
    raise ValidationError({field_name: [message]})


def answer_field_name(question: Question) -> str:
    return f"q_{question.pk}"


def _is_upload(value: Any) -> bool:
    return hasattr(value, "read") and hasattr(value, "size")


def _answer_parse(question: Question, value: Any) -> dict[str, Any]:
    """The stored form of an answer (text, number or file), or a ValidationError keyed
    by the question's field name."""
    name = answer_field_name(question)
    empty = {"text": "", "number": None, "file": None}
    if value is None or (isinstance(value, str) and not value.strip()):
        return empty
    if question.kind == QuestionKind.FILE:
        if not _is_upload(value):
            raise ValidationError({name: [_("Upload a file.")]})
        upload_check(value, field_name=name)
        return {**empty, "file": value}
    if _is_upload(value):
        raise ValidationError({name: [_("This question takes no file.")]})
    text = str(value).strip()
    if question.kind == QuestionKind.NUMBER:
        try:
            number = Decimal(text.replace(",", ".").replace(" ", "").replace("\u00a0", ""))
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or abs(number) >= Decimal("1e12"):
            raise ValidationError({name: [_("Enter a number, such as 12 or 12.5.")]})
        return {**empty, "number": number.quantize(Decimal("0.01"))}
    if question.kind == QuestionKind.CHOICE:
        if text not in question.options:
            raise ValidationError({name: [_("Choose one of the options.")]})
        return {**empty, "text": text}
    limit = 300 if question.kind == QuestionKind.SHORT_TEXT else 10000
    if len(text) > limit:
        raise ValidationError({name: [_("Keep it under %(limit)s characters.") % {"limit": limit}]})
    return {**empty, "text": text}


def _application_data_check(
    *,
    data: ApplicationData,
    by: User,
    applicant: User,
    questions: list[Question],
    kept_organisation_id: int | None = None,
) -> tuple[list[FounderData], dict[int, dict[str, Any]]]:
    """Every field of a draft is checked (required ones only on submission); the answers
    parsed. Raises one ValidationError naming every problem."""
    problems: dict[str, list[str]] = {}
    if not data.startup_name.strip():
        problems["startup_name"] = [_("Give the startup's name (a working name is fine).")]
    elif len(data.startup_name) > 200:
        problems["startup_name"] = [_("Keep the name under 200 characters.")]
    if data.sector is None:
        problems["sector"] = [_("Choose the startup's sector.")]
    if data.stage not in StartupStage.values:
        problems["stage"] = [_("Choose the startup's stage.")]
    if (
        data.organisation is not None
        and data.organisation.pk != kept_organisation_id
        and not organisations_for_applicant(user=by).filter(pk=data.organisation.pk).exists()
    ):
        problems["organisation"] = [
            _("You may only apply with an organisation you own or administer.")
        ]
    founders: list[FounderData] = []
    seen: set[str] = set()
    for founder in data.founders:
        name, email = founder.name.strip(), founder.email.strip().lower()
        if not name and not email:
            continue
        try:
            validate_email(email)
        except ValidationError:
            problems.setdefault("founders", []).append(
                _("“%(email)s” is not an e-mail address.") % {"email": founder.email or name}
            )
            continue
        if not name:
            problems.setdefault("founders", []).append(
                _("Give the name of the founder with the e-mail %(email)s.") % {"email": email}
            )
            continue
        if email in seen:
            problems.setdefault("founders", []).append(
                _("%(email)s is listed twice.") % {"email": email}
            )
            continue
        seen.add(email)
        founders.append(FounderData(name=name[:200], email=email, role=founder.role.strip()[:120]))
    if applicant.email.lower() not in seen:
        # The applicant is always one of the founders.
        founders.insert(
            0, FounderData(name=applicant.display_name[:200], email=applicant.email.lower())
        )
    if len(founders) > MAX_FOUNDERS:
        problems.setdefault("founders", []).append(
            _("List at most %(count)s founders.") % {"count": MAX_FOUNDERS}
        )
    by_pk = {question.pk: question for question in questions}
    answers: dict[int, dict[str, Any]] = {}
    for key, value in data.answers.items():
        question = by_pk.get(int(key)) if str(key).isdigit() else None
        if question is None:
            problems.setdefault("answers", []).append(
                _("The call has no question %(key)s.") % {"key": key}
            )
            continue
        try:
            answers[question.pk] = _answer_parse(question, value)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                problems.setdefault(name, []).extend(messages)
    if data.pitch_deck is not None:
        try:
            upload_check(data.pitch_deck, field_name="pitch_deck")
        except ValidationError as error:
            problems.setdefault("pitch_deck", []).extend(error.message_dict["pitch_deck"])
    if problems:
        raise ValidationError(problems)
    return founders, answers


def _ensure_call_open(call: IncubatorCall) -> None:
    now = timezone.now()
    if not call.published or now < call.opens_at:
        raise ValidationError(
            _("This call is not open for applications yet."), code="call_not_open"
        )
    if now >= call.closes_at:
        raise ValidationError(
            _("This call closed on %(date)s: applications are no longer accepted.")
            % {"date": timezone.localtime(call.closes_at).strftime("%d.%m.%Y %H:%M")},
            code="call_closed",
        )


def _stored_remove(names: list[str]) -> None:
    storage = Application._meta.get_field("pitch_deck").storage
    for name in names:
        storage.delete(name)


def _file_save(field_file, upload, stored: list[str]) -> None:
    """Save under a random folder, keeping the original (sanitised) name for downloads."""
    name = Path(upload.name).name[-120:]
    field_file.save(f"{uuid4().hex}/{name}", upload, save=False)
    stored.append(field_file.name)


def application_save(
    *,
    call: IncubatorCall,
    by: User,
    data: ApplicationData,
    application: Application | None = None,
) -> Application:
    """Create or update a draft application while the call is open. Only the team edits
    it, and only as a draft. Nothing is stored unless everything given is valid."""
    if application is not None and not user_in_application_team(user=by, application=application):
        raise PermissionDenied(_("Only the founding team may edit its application."))
    stored: list[str] = []
    replaced: list[str] = []
    try:
        with transaction.atomic():
            call = call_locked(call.pk)
            if application is None:
                if Application.objects.filter(call=call, applicant=by).exists():
                    raise ValidationError(
                        _("You already applied to this call: open your application to edit it."),
                        code="already_applied",
                    )
                application = Application(call=call, applicant=by, language=by.preferred_language)
            else:
                application = Application.objects.select_for_update().get(pk=application.pk)
                if application.call_id != call.pk:
                    raise ValidationError(_("This application belongs to another call."))
                if application.status != Application.Status.DRAFT:
                    raise ValidationError(
                        _("A %(status)s application can no longer be edited.")
                        % {"status": application.get_status_display().lower()},
                        code="not_draft",
                    )
            _ensure_call_open(call)
            questions = list(call.questions.all())
            founders, answers = _application_data_check(
                data=data,
                by=by,
                applicant=application.applicant,
                questions=questions,
                # A founder editing the draft keeps the organisation the applicant chose.
                kept_organisation_id=application.organisation_id,
            )
            application.startup_name = data.startup_name.strip()
            application.sector = data.sector
            application.commune = data.commune
            application.stage = data.stage
            application.idea = data.idea.strip()
            application.market = data.market.strip()
            application.needs = data.needs.strip()
            application.organisation = data.organisation
            if data.pitch_deck is not None:
                if application.pitch_deck:
                    replaced.append(application.pitch_deck.name)
                _file_save(application.pitch_deck, data.pitch_deck, stored)
            application.save()
            application.needed_competences.set(data.needed_competences)
            _founders_store(application, founders)
            existing = {answer.question_id: answer for answer in application.answers.all()}
            for question_pk, parsed in answers.items():
                answer = existing.get(question_pk)
                empty = not parsed["text"] and parsed["number"] is None and parsed["file"] is None
                if answer is None and empty:
                    continue
                if answer is None:
                    answer = Answer(application=application, question_id=question_pk)
                if answer.file and (empty or parsed["file"] is not None or parsed["text"]):
                    replaced.append(answer.file.name)
                    answer.file = ""
                if empty:
                    answer.delete()
                    continue
                answer.text = parsed["text"]
                answer.number = parsed["number"]
                if parsed["file"] is not None:
                    _file_save(answer.file, parsed["file"], stored)
                answer.save()
            transaction.on_commit(lambda names=tuple(replaced): _stored_remove(list(names)))
    except IntegrityError as error:
        # Two first saves of the same founder at once: the database keeps one.
        _stored_remove(stored)
        raise ValidationError(
            _("You already applied to this call: open your application to edit it."),
            code="already_applied",
        ) from error
    except BaseException:
        _stored_remove(stored)
        raise
    return application


def _founders_store(application: Application, founders: list[FounderData]) -> None:
    """The team as listed: founders with an account under their e-mail are linked to it."""
    emails = [founder.email for founder in founders]
    match = Q()
    for email in emails:
        match |= Q(email__iexact=email)
    accounts = {user.email.lower(): user for user in User.objects.filter(match, is_active=True)}
    application.founders.exclude(email__in=emails).delete()
    current = {founder.email.lower(): founder for founder in application.founders.all()}
    for data in founders:
        founder = current.get(data.email) or Founder(application=application, email=data.email)
        founder.name, founder.role = data.name, data.role
        founder.user = accounts.get(data.email)
        founder.save()


def application_submit_problems(*, application: Application) -> dict[str, list[str]]:
    """What is missing before the application may be submitted (empty when nothing)."""
    problems: dict[str, list[str]] = {}
    required_text = {
        "startup_name": _("Give the startup's name."),
        "idea": _("Describe the idea."),
        "market": _("Describe the market."),
        "needs": _("Say what the team needs."),
    }
    for name, message in required_text.items():
        if not getattr(application, name).strip():
            problems[name] = [message]
    if application.sector_id is None:
        problems["sector"] = [_("Choose the startup's sector.")]
    answered = {
        answer.question_id
        for answer in application.answers.all()
        if answer.text or answer.number is not None or answer.file
    }
    for question in application.call.questions.all():
        if question.required and question.pk not in answered:
            problems[answer_field_name(question)] = [
                _("Answer this question: %(question)s") % {"question": question.label}
            ]
    return problems


def application_submit(*, application: Application, by: User) -> Application:
    """Submit a complete draft before the call closes (server time); the applicant gets a
    confirmation e-mail in their language. Nothing changes when something is missing."""
    from fabreck.incubator.mail import calls_application_submitted_mail

    if not user_in_application_team(user=by, application=application):
        raise PermissionDenied(_("Only the founding team may submit its application."))
    with transaction.atomic():
        # The call's row first (as its question edits do): a submission and a change of the
        # questions do not cross.
        call_locked(application.call_id)
        application = (
            Application.objects.select_for_update(of=("self",))
            .select_related("call", "applicant")
            .get(pk=application.pk)
        )
        if application.status != Application.Status.DRAFT:
            raise ValidationError(
                _("This application is already %(status)s.")
                % {"status": application.get_status_display().lower()},
                code="not_draft",
            )
        _ensure_call_open(application.call)
        problems = application_submit_problems(application=application)
        if problems:
            raise ValidationError(problems)
        application.status = Application.Status.SUBMITTED
        application.submitted_at = timezone.now()
        application.language = application.applicant.preferred_language or application.language
        application.save(update_fields=["status", "submitted_at", "language", "updated_at"])
        calls_application_submitted_mail(application=application)
    return application


def application_withdraw(*, application: Application, by: User) -> Application:
    """The team withdraws its application (a draft, or one not decided yet)."""
    if not user_in_application_team(user=by, application=application):
        raise PermissionDenied(_("Only the founding team may withdraw its application."))
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        if "withdrawn" not in APPLICATION_TRANSITIONS[application.status]:
            raise ValidationError(
                _("A %(status)s application can no longer be withdrawn.")
                % {"status": application.get_status_display().lower()},
                code="not_withdrawable",
            )
        application.status = Application.Status.WITHDRAWN
        application.save(update_fields=["status", "updated_at"])
    return application


@dataclass(frozen=True)
class QuestionItem:
    """A question in a call's full list (the API sends the list): `pk` names one to keep."""

    data: QuestionData
    pk: int | None = None


@dataclass(frozen=True)
class CriterionItem:
    data: CriterionData
    pk: int | None = None


def _items_check(items, checker, existing: set[int], name: str) -> None:
    problems: list[str] = []
    seen: set[int] = set()
    for index, item in enumerate(items, start=1):
        try:
            checker(item.data)
        except ValidationError as error:
            for field_name, messages in error.message_dict.items():
                problems.extend(f"{index}. {field_name}: {message}" for message in messages)
        if item.pk is not None:
            if item.pk not in existing or item.pk in seen:
                problems.append(
                    _("%(index)s. This call has no such item (%(pk)s).")
                    % {"index": index, "pk": item.pk}
                )
            seen.add(item.pk)
    if problems:
        raise ValidationError({name: problems})


def call_save(
    *,
    by: User,
    data: CallData,
    call: IncubatorCall | None = None,
    questions: list[QuestionItem] | None = None,
    criteria: list[CriterionItem] | None = None,
) -> IncubatorCall:
    """Create or update a call with, when given, its full lists of questions and criteria
    (in order; listed ones kept and changed, new ones added, the others removed), all in
    one transaction: nothing changes unless everything is valid."""
    _ensure_manager(by)
    with transaction.atomic():
        if call is None:
            call = call_create(by=by, data=data)
        else:
            call = call_update(call=call, by=by, data=data)
        if questions is not None:
            current = {q.pk: q for q in call.questions.all()}
            _items_check(questions, _question_data_check, set(current), "questions")
            if _structure_changes(current, questions, _question_fields):
                _ensure_structure_editable(call)
            kept = {item.pk for item in questions if item.pk}
            Question.objects.filter(call=call).exclude(pk__in=kept).delete()
            for position, item in enumerate(questions):
                row = current.get(item.pk) if item.pk else Question(call=call)
                for name, value in _question_fields(item.data).items():
                    setattr(row, name, value)
                row.position = position
                row.save()
        if criteria is not None:
            current = {c.pk: c for c in call.criteria.all()}
            _items_check(criteria, _criterion_data_check, set(current), "criteria")
            if _structure_changes(current, criteria, lambda data: dict(data.__dict__)):
                _ensure_structure_editable(call)
            kept = {item.pk for item in criteria if item.pk}
            Criterion.objects.filter(call=call).exclude(pk__in=kept).delete()
            for position, item in enumerate(criteria):
                row = current.get(item.pk) if item.pk else Criterion(call=call)
                for name, value in item.data.__dict__.items():
                    setattr(row, name, value)
                row.position = position
                row.save()
    return call


def _structure_changes(current: dict, items: list, fields_of) -> bool:
    """Whether the list differs from what the call has (same rows, order and values is no
    change, so a client may send a call back as it read it)."""
    if [item.pk for item in items] != list(current):
        return True
    for item in items:
        row = current[item.pk]
        for name, value in fields_of(item.data).items():
            if getattr(row, name) != value:
                return True
    return False


# --- reviews ---


REVIEW_MESSAGE_MAX = 5000


def _application_reviewable(application: Application) -> None:
    if application.status != Application.Status.SUBMITTED:
        raise ValidationError(
            _("Only submitted applications awaiting a decision are reviewed."),
            code="not_reviewable",
        )


def _round_open(call: IncubatorCall) -> None:
    if call.review_closed_at is not None:
        raise ValidationError(
            _("The review round of this call is closed: nothing can change any more."),
            code="round_closed",
        )


def _is_founder(application: Application, user: User) -> bool:
    return (
        application.applicant_id == user.pk
        or application.founders.filter(Q(user=user) | Q(email__iexact=user.email)).exists()
    )


def review_assign(*, application: Application, reviewer: User, by: User) -> Review:
    """The manager asks `reviewer` (any active account) to review a submitted application.
    A founder of the team cannot review it; assigning twice is refused."""
    _ensure_manager(by)
    with transaction.atomic():
        application = (
            Application.objects.select_for_update(of=("self",))
            .select_related("call")
            .get(pk=application.pk)
        )
        _round_open(application.call)
        _application_reviewable(application)
        if not reviewer.is_active:
            raise ValidationError(
                _("This account is not active: it cannot review."), code="reviewer_inactive"
            )
        if _is_founder(application, reviewer):
            raise ValidationError(
                _("%(name)s is on this team: a founder cannot review their own application.")
                % {"name": reviewer.get_full_name() or reviewer.email},
                code="reviewer_is_founder",
            )
        if Review.objects.filter(application=application, reviewer=reviewer).exists():
            raise ValidationError(
                _("%(name)s already reviews this application.")
                % {"name": reviewer.get_full_name() or reviewer.email},
                code="already_assigned",
            )
        return Review.objects.create(application=application, reviewer=reviewer, assigned_by=by)


def reviews_assign_all(*, call: IncubatorCall, reviewer: User, by: User) -> list[Review]:
    """Assign `reviewer` to every submitted application of the call they do not review yet
    and are not a founder of. Returns the new assignments."""
    _ensure_manager(by)
    with transaction.atomic():
        call = IncubatorCall.objects.select_for_update().get(pk=call.pk)
        _round_open(call)
        if not reviewer.is_active:
            raise ValidationError(
                _("This account is not active: it cannot review."), code="reviewer_inactive"
            )
        applications = (
            Application.objects.filter(call=call, status=Application.Status.SUBMITTED)
            .exclude(reviews__reviewer=reviewer)
            .exclude(applicant=reviewer)
            .exclude(founders__user=reviewer)
            .exclude(founders__email__iexact=reviewer.email)
            .distinct()
            .order_by("pk")
        )
        return Review.objects.bulk_create(
            [Review(application=a, reviewer=reviewer, assigned_by=by) for a in applications]
        )


def review_unassign(*, review: Review, by: User) -> None:
    """Take an assignment back, while the reviewer has neither scored nor abstained."""
    _ensure_manager(by)
    with transaction.atomic():
        review = (
            Review.objects.select_for_update(of=("self",))
            .select_related("application__call")
            .get(pk=review.pk)
        )
        _round_open(review.application.call)
        if review.status != Review.Status.ASSIGNED:
            raise ValidationError(
                _("This reviewer has already scored or abstained: the review stays."),
                code="review_started",
            )
        review.delete()


def review_locked(review: Review) -> Review:
    return (
        Review.objects.select_for_update(of=("self",))
        .select_related("application__call")
        .get(pk=review.pk)
    )


def _review_writable(review: Review, by: User) -> None:
    if review.reviewer_id != by.pk:
        raise PermissionDenied(_("Only the assigned reviewer may do this."))
    _round_open(review.application.call)
    _application_reviewable(review.application)


def review_conflict_declare(*, review: Review, by: User, reason: str) -> Review:
    """The reviewer declares a conflict of interest and abstains, saying why. Final: any
    scores they gave are withdrawn and they score this application no more."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": _("Say what the conflict of interest is.")}, code="reason_required"
        )
    if len(reason) > 500:
        raise ValidationError({"reason": _("Keep the reason under 500 characters.")})
    with transaction.atomic():
        review = review_locked(review)
        _review_writable(review, by)
        if review.status == Review.Status.CONFLICT:
            raise ValidationError(
                _("You already declared a conflict on this application."), code="conflict"
            )
        review.scores.all().delete()
        review.status = Review.Status.CONFLICT
        review.conflict_reason = reason
        review.comment = ""
        review.submitted_at = None
        review.save(
            update_fields=["status", "conflict_reason", "comment", "submitted_at", "updated_at"]
        )
    return review


@dataclass(frozen=True)
class ScoreInput:
    criterion_id: int
    value: int | None
    comment: str = ""


def review_submit(
    *,
    review: Review,
    by: User,
    scores: list[ScoreInput],
    comment: str = "",
    now: datetime | None = None,
) -> Review:
    """The reviewer scores every criterion of the call from 0 to the call's scale, with a
    comment each and an overall one. Submitting again replaces the scores, until the round
    closes. Any bad score refuses the whole review: nothing is stored."""
    now = now or timezone.now()
    with transaction.atomic():
        review = review_locked(review)
        _review_writable(review, by)
        if review.status == Review.Status.CONFLICT:
            raise ValidationError(
                _("You declared a conflict of interest on this application: you cannot score it."),
                code="conflict",
            )
        call = review.application.call
        criteria = list(call.criteria.order_by("position", "pk"))
        given: dict[int, ScoreInput] = {}
        errors: dict[str, list[str]] = {}
        known = {c.pk for c in criteria}
        for item in scores:
            if item.criterion_id not in known:
                errors.setdefault("scores", []).append(
                    _("Criterion %(id)s is not one of this call's.") % {"id": item.criterion_id}
                )
                continue
            if item.criterion_id in given:
                errors.setdefault("scores", []).append(_("Each criterion is scored once."))
                continue
            given[item.criterion_id] = item
        for criterion in criteria:
            item = given.get(criterion.pk)
            key = f"score_{criterion.pk}"
            if item is None or item.value is None:
                errors[key] = [_("Score “%(criterion)s”.") % {"criterion": criterion.label}]
            elif (
                isinstance(item.value, bool)
                or not isinstance(item.value, int)
                or not (0 <= item.value <= call.score_max)
            ):
                errors[key] = [
                    _("Score “%(criterion)s” from 0 to %(max)s.")
                    % {"criterion": criterion.label, "max": call.score_max}
                ]
            elif len(item.comment or "") > 5000:
                errors[key] = [_("Keep each comment under 5000 characters.")]
        if len(comment or "") > REVIEW_MESSAGE_MAX:
            errors["comment"] = [_("Keep the overall comment under 5000 characters.")]
        if errors:
            raise ValidationError(errors, code="invalid_scores")
        review.scores.all().delete()
        Score.objects.bulk_create(
            [
                Score(
                    review=review,
                    criterion=criterion,
                    value=given[criterion.pk].value,
                    comment=(given[criterion.pk].comment or "").strip(),
                )
                for criterion in criteria
            ]
        )
        review.status = Review.Status.SUBMITTED
        review.comment = (comment or "").strip()
        review.submitted_at = now
        review.save(update_fields=["status", "comment", "submitted_at", "updated_at"])
    return review


def review_round_close(
    *, call: IncubatorCall, by: User, now: datetime | None = None
) -> IncubatorCall:
    """Close the jury's round: scores are final and the reviewers see the ranking. Only
    after the call has closed to applications."""
    _ensure_manager(by)
    now = now or timezone.now()
    with transaction.atomic():
        call = IncubatorCall.objects.select_for_update().get(pk=call.pk)
        if call.review_closed_at is not None:
            raise ValidationError(_("The review round is already closed."), code="round_closed")
        if now < call.closes_at:
            raise ValidationError(
                _("The call takes applications until %(date)s: close the round after that.")
                % {
                    "date": formats.date_format(
                        timezone.localtime(call.closes_at), "DATETIME_FORMAT"
                    )
                },
                code="call_open",
            )
        call.review_closed_at = now
        call.save(update_fields=["review_closed_at", "updated_at"])
    return call


def review_round_reopen(*, call: IncubatorCall, by: User) -> IncubatorCall:
    """Reopen the round, as long as no decision was made on the call's applications."""
    _ensure_manager(by)
    with transaction.atomic():
        call = IncubatorCall.objects.select_for_update().get(pk=call.pk)
        if call.review_closed_at is None:
            raise ValidationError(_("The review round is open already."), code="round_open")
        decided = Application.objects.filter(call=call, status__in=DECISION_STATUSES).count()
        if decided:
            raise ValidationError(
                ngettext(
                    "A decision was made on %(count)s application: the round stays closed.",
                    "Decisions were made on %(count)s applications: the round stays closed.",
                    decided,
                )
                % {"count": decided},
                code="decisions_made",
            )
        call.review_closed_at = None
        call.save(update_fields=["review_closed_at", "updated_at"])
    return call


def application_locked(application: Application) -> Application:
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("call__cohort", "applicant")
        .get(pk=application.pk)
    )


def _ensure_decidable(application: Application, decision: str) -> None:
    if decision not in DECISION_STATUSES:
        raise ValidationError(
            {"decision": _("Choose accept, waitlist or decline.")}, code="decision_unknown"
        )
    if decision not in APPLICATION_TRANSITIONS.get(application.status, frozenset()):
        if application.status in DECISION_STATUSES:
            raise ValidationError(
                _("This application is already %(status)s.")
                % {"status": application.get_status_display().lower()},
                code="already_decided",
            )
        raise ValidationError(
            _("Only a submitted or waitlisted application can be decided."),
            code="not_decidable",
        )


def _decision_recipients(application: Application) -> list[tuple[str, str]]:
    """(e-mail, language) of the applicant and every founder, once each: a founder with an
    account reads it in their own language, the others in the application's."""
    default = application.language or settings.LANGUAGE_CODE
    recipients: dict[str, tuple[str, str]] = {}
    people = [(application.applicant.email, application.applicant.preferred_language)]
    people += [
        (f.email, f.user.preferred_language if f.user_id else default)
        for f in application.founders.select_related("user")
    ]
    for email, language in people:
        if email and email.lower() not in recipients:
            recipients[email.lower()] = (email, language or default)
    return list(recipients.values())


def _decision_mail(application: Application) -> None:
    """The decision, to the applicant and every founder, each in their language."""
    for email, language in _decision_recipients(application):
        with translation.override(language):
            text = render_to_string(
                "incubator/email/reviews_decision.txt",
                {
                    "application": application,
                    "call": application.call,
                    "site_url": settings.SITE_URL + reverse("core:home"),
                },
            )
            subject, _blank, body = text.strip().partition("\n")
            subject = _("[Fabreck] %(subject)s") % {"subject": subject.strip()}
        email_send_on_commit(EmailMessage(subject=subject, body=body.lstrip(), to=[email]))


def application_decide(
    *,
    application: Application,
    decision: str,
    by: User,
    message: str = "",
    now: datetime | None = None,
) -> Application:
    """The manager accepts, waitlists or declines a submitted application (a waitlisted one
    may later be accepted or declined), under a row lock so that two managers deciding at
    once give one decision. The team is told in the application's language; accepting
    starts the startup's incubation."""
    _ensure_manager(by)
    message = (message or "").strip()
    if len(message) > REVIEW_MESSAGE_MAX:
        raise ValidationError({"message": _("Keep the message under 5000 characters.")})
    now = now or timezone.now()
    with transaction.atomic():
        application = application_locked(application)
        _ensure_decidable(application, decision)
        application.status = decision
        application.decided_at = now
        application.decided_by = by
        application.decision_message = message
        application.save(
            update_fields=["status", "decided_at", "decided_by", "decision_message", "updated_at"]
        )
        if decision == Application.Status.ACCEPTED:
            incubation_start(application=application, by=by, started_on=timezone.localdate(now))
        _decision_mail(application)
    return application


# --- kpis ---


kpi_logger = logging.getLogger("fabreck.incubator.kpis")

# A reminder says "due" in the first days of a quarter and "late" from this day on.
KPI_LATE_AFTER_DAYS = 21


@dataclass(frozen=True)
class KpiFigures:
    headcount: int
    revenue: Decimal
    funds_raised: Decimal
    customers: int
    status: str = StartupStatus.ACTIVE
    note: str = ""


def _kpi_figures_check(figures: KpiFigures) -> None:
    errors: dict[str, str] = {}
    if figures.headcount is None or figures.headcount < 0:
        errors["headcount"] = _("The headcount cannot be negative.")
    if figures.revenue is None or figures.revenue < 0:
        errors["revenue"] = _("The revenue cannot be negative.")
    if figures.funds_raised is None or figures.funds_raised < 0:
        errors["funds_raised"] = _("The funds raised cannot be negative.")
    if figures.customers is None or figures.customers < 0:
        errors["customers"] = _("The number of customers cannot be negative.")
    if figures.status not in StartupStatus.values:
        errors["status"] = _("Choose active, acquired or closed.")
    for name, limit in (("revenue", Decimal("1e12")), ("funds_raised", Decimal("1e12"))):
        value = getattr(figures, name)
        if name not in errors and value is not None and value >= limit:
            errors[name] = _("This amount is too large.")
    if figures.headcount is not None and figures.headcount > 1_000_000:
        errors["headcount"] = _("This headcount is too large.")
    if figures.customers is not None and figures.customers > 1_000_000_000:
        errors["customers"] = _("This number of customers is too large.")
    if errors:
        raise ValidationError(errors)


def kpi_update_submit(
    *,
    incubation: Incubation,
    by: User,
    figures: KpiFigures,
    year: int | None = None,
    quarter: int | None = None,
    today: date | None = None,
) -> tuple[KpiUpdate, bool]:
    """A startup's figures for a finished quarter (the last one unless told), by its people
    or a manager. Sent again for the same quarter, they correct it (one update per
    quarter). Startups that left keep reporting. Returns (update, created)."""
    if not (
        user_manages_incubator(user=by) or user_speaks_for_startup(user=by, incubation=incubation)
    ):
        raise PermissionDenied(
            _("Only the startup's people and the incubator's managers may do this.")
        )
    today = today or timezone.localdate()
    if year is None or quarter is None:
        year, quarter = quarter_last_finished(today)
    if quarter not in (1, 2, 3, 4) or not 2000 <= year <= 2100:
        raise ValidationError({"quarter": _("Choose a quarter from 1 to 4 of a valid year.")})
    if quarter_last_day(year, quarter) >= today:
        raise ValidationError(
            {"quarter": _("This quarter has not ended yet: report it once it is over.")}
        )
    if quarter_last_day(year, quarter) < incubation.started_on:
        raise ValidationError(
            {
                "quarter": _("This quarter ended before the incubation started on %(day)s.")
                % {"day": incubation.started_on.isoformat()}
            }
        )
    _kpi_figures_check(figures)
    values = {
        "headcount": figures.headcount,
        "revenue": figures.revenue,
        "funds_raised": figures.funds_raised,
        "customers": figures.customers,
        "status": figures.status,
        "note": figures.note.strip(),
        "submitted_by": by,
    }
    with transaction.atomic():
        existing = (
            KpiUpdate.objects.select_for_update()
            .filter(incubation=incubation, year=year, quarter=quarter)
            .first()
        )
        if existing is None:
            try:
                with transaction.atomic():
                    update = KpiUpdate.objects.create(
                        incubation=incubation, year=year, quarter=quarter, **values
                    )
                return update, True
            except IntegrityError:
                # Someone else reported the same quarter a moment ago: correct it.
                existing = KpiUpdate.objects.select_for_update().get(
                    incubation=incubation, year=year, quarter=quarter
                )
        for name, value in values.items():
            setattr(existing, name, value)
        existing.save()
    return existing, False


def _kpi_reminder_mail(*, incubation: Incubation, year: int, quarter: int, kind: str) -> int:
    """The reminder to each of the startup's people, in their language. Returns how many."""
    url = settings.SITE_URL + reverse("incubator:kpis-update") + f"?startup={incubation.pk}"
    sent = 0
    people = incubation.organisation.memberships.select_related("user").order_by("pk")
    for person in people:
        user = person.user
        if not user.is_active or not user.email:
            continue
        with translation.override(user.preferred_language or "en"):
            text = render_to_string(
                f"incubator/email/kpis_reminder_{kind}.txt",
                {
                    "recipient": user,
                    "startup": incubation.organisation,
                    "year": year,
                    "quarter": quarter,
                    "url": url,
                },
            )
            subject, _blank, body = text.strip().partition("\n")
            subject = _("[Fabreck] %(subject)s") % {"subject": subject.strip()}
        email_send_on_commit(EmailMessage(subject=subject, body=body.lstrip(), to=[user.email]))
        sent += 1
    return sent


def kpi_reminders_send(*, today: date | None = None) -> int:
    """Ask the startups that have not reported the last quarter for their update: "due" in
    the first days of the quarter, "late" from KPI_LATE_AFTER_DAYS days on. Each reminder
    goes once per startup, quarter and kind (the KpiReminder row, unique, is written before
    the e-mails: overlapping runs send it once). Returns the number of startups reminded."""
    today = today or timezone.localdate()
    year, quarter = quarter_last_finished(today)
    days_in = (today - quarter_first_day(*quarter_next(year, quarter))).days
    kind = KpiReminder.Kind.LATE if days_in >= KPI_LATE_AFTER_DAYS else KpiReminder.Kind.DUE
    reminded = 0
    for incubation in kpi_reminder_targets(today=today):
        try:
            with transaction.atomic():
                KpiReminder.objects.create(
                    incubation=incubation, year=year, quarter=quarter, kind=kind
                )
                _kpi_reminder_mail(incubation=incubation, year=year, quarter=quarter, kind=kind)
        except IntegrityError:
            continue  # already reminded (by this run's twin)
        reminded += 1
    kpi_logger.info("KPI reminders (%s) for %s Q%s: %s startups", kind, year, quarter, reminded)
    return reminded
