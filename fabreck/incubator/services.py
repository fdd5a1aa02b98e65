"""Writes of the incubator. Each service checks who acts, works in one transaction and
sends its e-mails on commit."""

from __future__ import annotations

from dataclasses import dataclass as _startups_dataclass
from datetime import date
from decimal import Decimal
from pathlib import PurePath as _StartupsPath

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from fabreck.accounts.models import User
from fabreck.cluster.models import Commune, Competence, NaceClass, Organisation, OrganisationPerson
from fabreck.cluster.services import (
    OrganisationData,
    membership_decide,
    organisation_apply,
    organisation_incubated_set,
)
from fabreck.fablab.models import PriceGroup, Site
from fabreck.fablab.services import organisation_price_group_set, prepaid_hours_grant
from fabreck.incubator.models import (
    EXIT_PHASES,
    PHASE_TRANSITIONS,
    WORKING_PHASES,
    Application,
    ChecklistItem,
    HostingKind,
    Incubation,
    Mentor,
    MentorSession,
    Milestone,
    PhaseChange,
)
from fabreck.incubator.selectors import user_manages_incubator
from fabreck.incubator.selectors import (
    user_mentors as _startups_user_mentors,
)
from fabreck.incubator.selectors import (
    user_speaks_for_startup as _startups_speaks_for,
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
            Organisation.objects.filter(pk=organisation.pk).update(kind=Organisation.Kind.STARTUP)
            organisation.kind = Organisation.Kind.STARTUP
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
    # Founders with an account join the organisation; the applicant already owns it.
    for founder in application.founders.exclude(user=None).select_related("user"):
        OrganisationPerson.objects.get_or_create(
            organisation=organisation,
            user=founder.user,
            defaults={"role": OrganisationPerson.Role.ADMIN},
        )
    OrganisationPerson.objects.get_or_create(
        organisation=organisation,
        user=application.applicant,
        defaults={"role": OrganisationPerson.Role.OWNER},
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
        user_manages_incubator(user=user) or _startups_speaks_for(user=user, incubation=incubation)
    ):
        raise PermissionDenied(
            _("Only the startup's people and the incubator's managers may do this.")
        )


def startups_upload_check(upload: UploadedFile, *, field: str) -> None:
    """An uploaded file of an accepted type and size, else a ValidationError on `field`."""
    extension = _StartupsPath(upload.name or "").suffix.lower().lstrip(".")
    allowed = tuple(settings.INCUBATOR_UPLOAD_EXTENSIONS)
    if extension not in allowed:
        raise ValidationError(
            {
                field: _("Files of this type are not accepted. Accepted: %(types)s.")
                % {"types": ", ".join(allowed)}
            },
            code="file_type",
        )
    if upload.size > settings.INCUBATOR_UPLOAD_MAX_BYTES:
        raise ValidationError(
            {
                field: _("The file is too large: at most %(mb)s MB.")
                % {"mb": settings.INCUBATOR_UPLOAD_MAX_BYTES // 2**20}
            },
            code="file_size",
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
    return incubation


@_startups_dataclass(frozen=True)
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
        startups_upload_check(evidence_file, field="evidence_file")
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


@_startups_dataclass(frozen=True)
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
    own = _startups_user_mentors(user=by)
    if mentor is None:
        mentor = own
    if mentor is None:
        if manages:
            raise ValidationError({"mentor": _("Choose the mentor.")}, code="mentor")
        raise PermissionDenied(_("Only mentors and the incubator's managers log sessions."))
    if not manages and (own is None or own.pk != mentor.pk):
        raise PermissionDenied(_("Mentors log their own sessions only."))
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
