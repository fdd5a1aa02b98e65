"""Reads of the incubator: who may do what, calls, applications, reviews, startups, KPIs."""

from __future__ import annotations

from dataclasses import dataclass as _startups_dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from fabreck.accounts.models import User
from fabreck.cluster.models import Competence
from fabreck.incubator.models import (
    WORKING_PHASES,
    ChecklistItem,
    Incubation,
    Mentor,
    MentorSession,
    Milestone,
    PhaseChange,
)


def user_manages_incubator(*, user: User) -> bool:
    """Incubator managers (and administrators, who hold every permission)."""
    return user.is_authenticated and user.has_perm("accounts.manage_incubator")


def user_speaks_for_startup(*, user: User, incubation: Incubation) -> bool:
    """The startup's people (its organisation's owners, admins and members)."""
    return user.is_authenticated and incubation.organisation.memberships.filter(user=user).exists()


# --- startups ---


def user_mentors(*, user: User) -> Mentor | None:
    """The user's entry in the mentor pool, active or not (None if they have none)."""
    if not user.is_authenticated:
        return None
    return Mentor.objects.filter(user=user).first()


def startups_list(*, cohort: str = "", phase: str = "") -> QuerySet[Incubation]:
    """Every incubation for the managers, by cohort then name, optionally narrowed by a
    cohort slug and a phase (or `running`)."""
    rows = Incubation.objects.select_related("organisation", "cohort", "hosting_site").annotate(
        milestones_open=Count("milestones", filter=Q(milestones__done_on__isnull=True)),
        milestones_overdue=Count(
            "milestones",
            filter=Q(milestones__done_on__isnull=True, milestones__due_on__lt=timezone.localdate()),
        ),
    )
    if cohort:
        rows = rows.filter(cohort__slug=cohort)
    if phase == "running":
        rows = rows.filter(phase__in=WORKING_PHASES)
    elif phase:
        rows = rows.filter(phase=phase)
    return rows.order_by("-cohort__starts_on", "cohort__name", "organisation__name", "pk")


def startups_of_user(*, user: User) -> QuerySet[Incubation]:
    """The incubations of the organisations the user belongs to (a founder's startups)."""
    if not user.is_authenticated:
        return Incubation.objects.none()
    return (
        Incubation.objects.filter(organisation__memberships__user=user)
        .select_related("organisation", "cohort")
        .distinct()
        .order_by("-started_on", "pk")
    )


def user_has_startup(*, user: User) -> bool:
    return startups_of_user(user=user).exists()


def startup_visible_to(*, pk: int, user: User) -> Incubation:
    """A startup's incubation for its people, the managers and the mentors (404 to anyone
    else, and to everyone for an unknown one)."""
    incubation = (
        Incubation.objects.select_related("organisation", "cohort", "hosting_site", "application")
        .filter(pk=pk)
        .first()
    )
    if incubation is None or not user.is_authenticated:
        raise Http404
    if user_manages_incubator(user=user) or user_speaks_for_startup(
        user=user, incubation=incubation
    ):
        return incubation
    mentor = user_mentors(user=user)
    if mentor is not None and mentor.active:
        return incubation
    raise Http404


def startup_managed(*, pk: int, user: User) -> Incubation:
    """A startup's incubation for the managers only (404 to everyone else)."""
    if not user_manages_incubator(user=user):
        raise Http404
    incubation = (
        Incubation.objects.select_related("organisation", "cohort", "hosting_site")
        .filter(pk=pk)
        .first()
    )
    if incubation is None:
        raise Http404
    return incubation


def milestone_visible_to(*, pk: int, user: User) -> Milestone:
    milestone = Milestone.objects.filter(pk=pk).only("pk", "incubation_id").first()
    if milestone is None:
        raise Http404
    incubation = startup_visible_to(pk=milestone.incubation_id, user=user)
    milestone = Milestone.objects.get(pk=pk)
    milestone.incubation = incubation
    return milestone


def checklist_item_visible_to(*, pk: int, user: User) -> ChecklistItem:
    item = ChecklistItem.objects.filter(pk=pk).first()
    if item is None:
        raise Http404
    item.incubation = startup_visible_to(pk=item.incubation_id, user=user)
    return item


@_startups_dataclass
class StartupPhaseBlock:
    phase: str
    label: str
    current: bool
    milestones: list
    checklist: list


@_startups_dataclass
class SuggestedMentor:
    mentor: Mentor
    covered: list  # the needed competences this mentor brings
    count: int


@_startups_dataclass
class StartupPage:
    incubation: Incubation
    phases: list[StartupPhaseBlock]
    history: list[PhaseChange]
    sessions: list[MentorSession]
    needed: list[Competence]
    suggested: list[SuggestedMentor]
    session_hours: object
    today: object

    @property
    def has_plan(self) -> bool:
        """Milestones or a checklist exist (else the defaults may be added)."""
        return any(block.milestones or block.checklist for block in self.phases)


def mentors_suggested(
    *, incubation: Incubation, needed: list[Competence] | None = None, limit: int = 10
) -> list[SuggestedMentor]:
    """Active mentors ranked by how many of the startup's needed competences they bring
    (the ones they bring listed); mentors who bring none are left out. Two queries."""
    if needed is None:
        needed = list(incubation.needed_competences.all())
    wanted = {competence.pk: competence for competence in needed}
    if not wanted:
        return []
    mentors = (
        Mentor.objects.filter(active=True, user__is_active=True, competences__in=list(wanted))
        .select_related("user")
        .prefetch_related(
            Prefetch(
                "competences",
                queryset=Competence.objects.filter(pk__in=list(wanted)),
                to_attr="covered_competences",
            )
        )
        .distinct()
    )
    rows = [
        SuggestedMentor(
            mentor=mentor,
            covered=sorted(mentor.covered_competences, key=lambda c: c.label),
            count=len(mentor.covered_competences),
        )
        for mentor in mentors
    ]
    rows.sort(key=lambda row: (-row.count, str(row.mentor.user).lower(), row.mentor.pk))
    return rows[:limit]


def startup_page(*, incubation: Incubation) -> StartupPage:
    """Everything a startup's page shows, in a fixed number of queries: phases with their
    milestones and checklist, the phase history, the mentor sessions, the needed
    competences and the suggested mentors."""
    milestones = list(incubation.milestones.order_by("due_on", "pk"))
    checklist = list(
        incubation.checklist.select_related("done_by").order_by("phase", "position", "pk")
    )
    history = list(incubation.phase_changes.select_related("by").order_by("at", "pk"))
    sessions = list(
        incubation.mentor_sessions.select_related("mentor__user", "logged_by").order_by(
            "-held_on", "-pk"
        )
    )
    needed = list(incubation.needed_competences.order_by("label_en"))
    phases = [
        StartupPhaseBlock(
            phase=value,
            label=str(label),
            current=value == incubation.phase,
            milestones=[m for m in milestones if m.phase == value],
            checklist=[c for c in checklist if c.phase == value],
        )
        for value, label in Incubation.Phase.choices
        if value in WORKING_PHASES
    ]
    return StartupPage(
        incubation=incubation,
        phases=phases,
        history=history,
        sessions=sessions,
        needed=needed,
        suggested=mentors_suggested(incubation=incubation, needed=needed),
        session_hours=sum((s.hours for s in sessions), start=0),
        today=timezone.localdate(),
    )


def mentor_pool() -> QuerySet[Mentor]:
    """The mentor pool for the managers, with competences and session counts."""
    return (
        Mentor.objects.select_related("user")
        .prefetch_related(Prefetch("competences", queryset=Competence.objects.order_by("label_en")))
        .annotate(session_count=Count("sessions"))
        .order_by("-active", "user__last_name", "user__first_name", "pk")
    )


def mentor_startups(*, mentor: Mentor) -> QuerySet[Incubation]:
    """The running startups for a mentor: those whose needs they cover most first, with how
    many needed competences they bring and how many sessions they logged with each."""
    competence_ids = list(mentor.competences.values_list("pk", flat=True))
    return (
        Incubation.objects.filter(phase__in=WORKING_PHASES)
        .select_related("organisation", "cohort")
        .annotate(
            covered=Count(
                "needed_competences",
                filter=Q(needed_competences__in=competence_ids),
                distinct=True,
            ),
            my_sessions=Count(
                "mentor_sessions", filter=Q(mentor_sessions__mentor=mentor), distinct=True
            ),
        )
        .order_by("-covered", "-my_sessions", "organisation__name", "pk")
    )
