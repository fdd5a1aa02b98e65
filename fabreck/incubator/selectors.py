"""Reads of the incubator: who may do what, calls, applications, reviews, startups, KPIs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from statistics import pstdev

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from fabreck.accounts.models import User
from fabreck.cluster.models import Competence, Organisation, OrganisationPerson
from fabreck.incubator.models import (
    DECISION_STATUSES,
    WORKING_PHASES,
    Answer,
    Application,
    ApplicationStatus,
    ChecklistItem,
    Cohort,
    Criterion,
    Founder,
    Incubation,
    IncubatorCall,
    KpiUpdate,
    Mentor,
    MentorSession,
    Milestone,
    Phase,
    PhaseChange,
    Question,
    Review,
    Score,
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
    if mentor is not None and mentor_follows(mentor=mentor, incubation=incubation):
        return incubation
    raise Http404


def mentor_follows(*, mentor: Mentor, incubation: Incubation) -> bool:
    """A mentor reads a startup (its milestones, evidence, sessions) when they have
    mentored it, or while it runs and needs one of their competences: not every startup
    of the incubator."""
    if MentorSession.objects.filter(mentor=mentor, incubation=incubation).exists():
        return True
    return (
        mentor.active
        and incubation.is_running
        and incubation.needed_competences.filter(mentors=mentor).exists()
    )


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


@dataclass
class StartupPhaseBlock:
    phase: str
    label: str
    current: bool
    milestones: list
    checklist: list


@dataclass
class SuggestedMentor:
    mentor: Mentor
    covered: list  # the needed competences this mentor brings
    count: int


@dataclass
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
    """The running startups a mentor follows (mentor_follows): those whose needs they cover
    most first, with how many needed competences they bring and how many sessions they
    logged with each."""
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
        .filter(Q(covered__gt=0) | Q(my_sessions__gt=0))
        .order_by("-covered", "-my_sessions", "organisation__name", "pk")
    )


# --- calls ---


CALL_APPLICATIONS_PAGE_SIZE = 50


def call_applications_submitted(*, call: IncubatorCall) -> bool:
    """Whether a team has submitted to the call (even if it withdrew since): from then on
    its questions and criteria stay as they were."""
    return call.applications.filter(submitted_at__isnull=False).exists()


def calls_public(*, now: datetime | None = None) -> list[IncubatorCall]:
    """Published calls that are open now or will open, the soonest closing first."""
    now = now or timezone.now()
    return list(
        IncubatorCall.objects.filter(published=True, closes_at__gt=now)
        .select_related("cohort")
        .order_by("opens_at", "closes_at", "pk")
    )


def call_public_get(*, slug: str, user: User) -> IncubatorCall:
    """A published call with its questions and criteria; unpublished ones only for the
    managers (404 for anyone else)."""
    call = (
        IncubatorCall.objects.select_related("cohort")
        .prefetch_related(
            Prefetch("questions", queryset=Question.objects.order_by("position", "pk")),
            Prefetch("criteria", queryset=Criterion.objects.order_by("position", "pk")),
        )
        .filter(slug=slug)
        .first()
    )
    if call is None or not (call.published or user_manages_incubator(user=user)):
        raise Http404
    return call


def call_managed_get(*, slug: str, user: User) -> IncubatorCall:
    """A call for its managers, with questions and criteria (404 for anyone else)."""
    if not user_manages_incubator(user=user):
        raise Http404
    return call_public_get(slug=slug, user=user)


def question_managed_get(*, pk: int, user: User) -> Question:
    if not user_manages_incubator(user=user):
        raise Http404
    question = Question.objects.select_related("call").filter(pk=pk).first()
    if question is None:
        raise Http404
    return question


def criterion_managed_get(*, pk: int, user: User) -> Criterion:
    if not user_manages_incubator(user=user):
        raise Http404
    criterion = Criterion.objects.select_related("call").filter(pk=pk).first()
    if criterion is None:
        raise Http404
    return criterion


def cohorts_with_calls() -> list[Cohort]:
    """Every cohort, newest first, each with its calls and their application counts (one
    query for the cohorts, one for the calls)."""
    calls = IncubatorCall.objects.annotate(
        submitted_count=Count("applications", filter=Q(applications__submitted_at__isnull=False)),
        draft_count=Count("applications", filter=Q(applications__status="draft")),
    ).order_by("-opens_at", "pk")
    return list(
        Cohort.objects.prefetch_related(Prefetch("calls", queryset=calls)).order_by(
            "-starts_on", "name"
        )
    )


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: str
    count: int


def call_application_counts(*, call: IncubatorCall) -> list[StatusCount]:
    """How many applications of the call are in each status (all statuses, zeros too)."""
    counts = dict(
        Application.objects.filter(call=call)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return [
        StatusCount(status=value, label=str(label), count=counts.get(value, 0))
        for value, label in ApplicationStatus.choices
    ]


def call_applications(*, call: IncubatorCall, status: str = "") -> QuerySet[Application]:
    """The call's applications for its managers, optionally in one status; submitted
    first by submission time, then drafts by creation."""
    rows = Application.objects.filter(call=call).select_related("applicant", "sector", "commune")
    if status:
        rows = rows.filter(status=status)
    return rows.annotate(founder_count=Count("founders")).order_by(
        "submitted_at", "created_at", "pk"
    )


def call_applications_page(*, call: IncubatorCall, status: str = "", page: int | str = 1) -> Page:
    return Paginator(
        call_applications(call=call, status=status), CALL_APPLICATIONS_PAGE_SIZE
    ).get_page(page)


def _team_filter(user: User) -> Q:
    return Q(applicant=user) | Q(
        Exists(Founder.objects.filter(application=OuterRef("pk"), user=user))
    )


def applications_of(*, user: User) -> QuerySet[Application]:
    """The applications `user` made or is a founder of (linked by e-mail), newest first."""
    if not user.is_authenticated:
        return Application.objects.none()
    return (
        Application.objects.filter(_team_filter(user))
        .select_related("call", "call__cohort", "sector")
        .order_by("-created_at", "-pk")
    )


def user_in_application_team(*, user: User, application: Application) -> bool:
    if not user.is_authenticated:
        return False
    if application.applicant_id == user.pk:
        return True
    return application.founders.filter(user=user).exists()


def _application_detail_queryset() -> QuerySet[Application]:
    return Application.objects.select_related(
        "call", "call__cohort", "applicant", "sector", "commune", "organisation"
    ).prefetch_related(
        "needed_competences",
        Prefetch("founders", queryset=Founder.objects.order_by("pk")),
        Prefetch(
            "answers",
            queryset=Answer.objects.select_related("question").order_by(
                "question__position", "question__pk"
            ),
        ),
        Prefetch("call__questions", queryset=Question.objects.order_by("position", "pk")),
    )


def application_visible_to(*, pk: int, user: User) -> Application:
    """An application for those who may read it: its team (the applicant and the founders
    linked to an account) always; the incubator's managers and the reviewers assigned to
    it once it was submitted. A 404 for anyone else."""
    if not user.is_authenticated:
        raise Http404
    application = _application_detail_queryset().filter(pk=pk).first()
    if application is None:
        raise Http404
    if application.applicant_id == user.pk or any(
        founder.user_id == user.pk for founder in application.founders.all()
    ):
        return application
    if application.submitted_at is not None and (
        user_manages_incubator(user=user)
        or Review.objects.filter(application=application, reviewer=user).exists()
    ):
        return application
    raise Http404


def application_of_team(*, pk: int, user: User) -> Application:
    """An application for its team only (to edit, submit, withdraw): 404 for anyone
    else, managers included."""
    application = application_visible_to(pk=pk, user=user)
    if application.applicant_id != user.pk and not any(
        founder.user_id == user.pk for founder in application.founders.all()
    ):
        raise Http404
    return application


def application_answer_file(*, pk: int, answer_pk: int, user: User) -> Answer:
    """An answer given as a file, for those who may read the application (else 404)."""
    application = application_visible_to(pk=pk, user=user)
    answer = Answer.objects.filter(pk=answer_pk, application=application).exclude(file="").first()
    if answer is None:
        raise Http404
    return answer


def application_of_user_for_call(*, call: IncubatorCall, user: User) -> Application | None:
    """The user's own application to the call, if they started one."""
    if not user.is_authenticated:
        return None
    return Application.objects.filter(call=call, applicant=user).first()


def organisations_for_applicant(*, user: User) -> QuerySet[Organisation]:
    """The organisations a founder may apply with: those they own or administer."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    return (
        Organisation.objects.filter(
            memberships__user=user,
            memberships__role__in=(OrganisationPerson.Role.OWNER, OrganisationPerson.Role.ADMIN),
        )
        .exclude(status=Organisation.Status.REFUSED)
        .order_by("name")
        .distinct()
    )


# --- reviews ---


# The applications a jury looks at: submitted, and those decided since.
REVIEWABLE_STATUSES = ("submitted", *DECISION_STATUSES)
TWO_PLACES = Decimal("0.01")


def _two(value: Decimal) -> Decimal:
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def user_has_reviews(*, user: User) -> bool:
    """Whether the user was ever assigned an application to review."""
    return user.is_authenticated and Review.objects.filter(reviewer=user).exists()


def reviews_of(*, user: User) -> QuerySet[Review]:
    """A reviewer's assignments, newest call first, for "My reviews"."""
    return (
        Review.objects.filter(reviewer=user)
        .select_related("application__call__cohort", "application__sector")
        .order_by(
            "-application__call__opens_at", "application__call_id", "application__startup_name"
        )
    )


def review_of_reviewer(*, pk: int, user: User) -> Review:
    """A review for its reviewer only: anyone else (managers included) gets a 404."""
    review = (
        Review.objects.filter(pk=pk, reviewer_id=getattr(user, "pk", None))
        .select_related(
            "application__call__cohort",
            "application__sector",
            "application__commune",
            "application__applicant",
        )
        .prefetch_related(
            "application__founders",
            "application__needed_competences",
            Prefetch("scores", queryset=Score.objects.select_related("criterion")),
            Prefetch(
                "application__answers",
                queryset=Answer.objects.select_related("question").order_by(
                    "question__position", "question__pk"
                ),
            ),
        )
        .first()
    )
    if review is None:
        raise Http404
    return review


def call_criteria(*, call: IncubatorCall) -> list[Criterion]:
    return list(Criterion.objects.filter(call=call).order_by("position", "pk"))


def calls_for_review(*, user: User) -> QuerySet[IncubatorCall]:
    """The calls a manager runs juries for, with their application and review counts."""
    return (
        IncubatorCall.objects.select_related("cohort")
        .annotate(
            reviewable=Count(
                "applications",
                filter=Q(applications__status__in=REVIEWABLE_STATUSES),
                distinct=True,
            ),
            assigned=Count("applications__reviews", distinct=True),
        )
        .order_by("-opens_at", "pk")
    )


def review_call_for_manager(*, pk: int, user: User) -> IncubatorCall:
    """A call's review board is for the incubator's managers: anyone else gets a 404."""
    if not user_manages_incubator(user=user):
        raise Http404
    call = IncubatorCall.objects.select_related("cohort").filter(pk=pk).first()
    if call is None:
        raise Http404
    return call


@dataclass
class BoardRow:
    application: Application
    reviews: list[Review]
    assigned: int = 0
    abstained: int = 0
    scored: int = 0


def review_board(*, call: IncubatorCall) -> list[BoardRow]:
    """Each application the jury looks at, with its reviewers and how far they got. Two
    queries whatever the number of applications and reviewers."""
    applications = (
        Application.objects.filter(call=call, status__in=REVIEWABLE_STATUSES)
        .select_related("sector")
        .prefetch_related(
            Prefetch(
                "reviews",
                queryset=Review.objects.select_related("reviewer").order_by(
                    "reviewer__last_name", "reviewer__first_name", "pk"
                ),
            )
        )
        .order_by("startup_name", "pk")
    )
    rows = []
    for application in applications:
        reviews = list(application.reviews.all())
        rows.append(
            BoardRow(
                application=application,
                reviews=reviews,
                assigned=len(reviews),
                abstained=sum(r.status == Review.Status.CONFLICT for r in reviews),
                scored=sum(r.status == Review.Status.SUBMITTED for r in reviews),
            )
        )
    return rows


def reviewers_previous(*, limit: int = 200) -> list[User]:
    """People who reviewed before, to pick from when assigning (active accounts only)."""
    return list(
        User.objects.filter(incubator_reviews__isnull=False, is_active=True)
        .distinct()
        .order_by("last_name", "first_name", "email")[:limit]
    )


def reviewer_by_email(*, email: str) -> User | None:
    """The active account using this e-mail address, if any."""
    email = (email or "").strip()
    if not email:
        return None
    return User.objects.filter(email__iexact=email, is_active=True).first()


@dataclass
class RankingRow:
    application: Application
    rank: int | None = None
    # Σ weight·score / Σ weight over the scoring reviewers: on the call's scale.
    mean: Decimal | None = None
    percent: Decimal | None = None
    scored: int = 0
    abstained: int = 0
    assigned: int = 0
    # Between the reviewers' weighted totals: highest minus lowest, and standard deviation.
    spread: Decimal | None = None
    stdev: Decimal | None = None
    totals: list[Decimal] = field(default_factory=list)


def call_ranking(*, call: IncubatorCall) -> list[RankingRow]:
    """The call's applications ranked by the jury's weighted mean, best first; those nobody
    scored come last. Two queries whatever the size."""
    applications = {
        a.pk: a
        for a in Application.objects.filter(call=call, status__in=REVIEWABLE_STATUSES)
        .select_related("sector")
        .annotate(
            n_assigned=Count("reviews", distinct=True),
            n_abstained=Count("reviews", filter=Q(reviews__status="conflict"), distinct=True),
            n_scored=Count("reviews", filter=Q(reviews__status="submitted"), distinct=True),
        )
    }
    weighted: dict[int, dict[int, list[Decimal]]] = {}
    for application_id, review_id, value, weight in Score.objects.filter(
        review__application__call=call,
        review__status=Review.Status.SUBMITTED,
        review__application__status__in=REVIEWABLE_STATUSES,
    ).values_list("review__application_id", "review_id", "value", "criterion__weight"):
        sums = weighted.setdefault(application_id, {}).setdefault(
            review_id, [Decimal(0), Decimal(0)]
        )
        sums[0] += Decimal(value) * weight
        sums[1] += weight
    rows = []
    for application in applications.values():
        row = RankingRow(
            application=application,
            assigned=application.n_assigned,
            abstained=application.n_abstained,
            scored=application.n_scored,
        )
        totals = [s / w for s, w in weighted.get(application.pk, {}).values() if w > 0]
        if totals:
            mean = sum(totals) / len(totals)
            row.mean = _two(mean)
            row.percent = _two(mean * 100 / call.score_max)
            row.spread = _two(max(totals) - min(totals))
            row.stdev = _two(Decimal(pstdev(totals)))
            row.totals = [_two(t) for t in sorted(totals, reverse=True)]
        rows.append(row)
    rows.sort(
        key=lambda r: (
            r.mean is None,
            -(r.mean or 0),
            -r.scored,
            r.application.startup_name.lower(),
            r.application.pk,
        )
    )
    for position, row in enumerate(rows, start=1):
        row.rank = position if row.mean is not None else None
    return rows


@dataclass
class AcceptanceRate:
    submitted: int
    accepted: int
    waitlisted: int
    declined: int

    @property
    def rate(self) -> Decimal | None:
        """Accepted / submitted (withdrawn ones excluded), in percent."""
        if not self.submitted:
            return None
        return _two(Decimal(self.accepted) * 100 / self.submitted)


def calls_acceptance_rates(*, call_ids: list[int]) -> dict[int, AcceptanceRate]:
    """Per call: the applications submitted (not withdrawn) and how many were accepted.
    One query for any number of calls."""
    rows = (
        Application.objects.filter(call_id__in=call_ids, submitted_at__isnull=False)
        .exclude(status=Application.Status.WITHDRAWN)
        .values("call_id")
        .annotate(
            submitted=Count("pk"),
            accepted=Count("pk", filter=Q(status="accepted")),
            waitlisted=Count("pk", filter=Q(status="waitlisted")),
            declined=Count("pk", filter=Q(status="declined")),
        )
        .order_by()
    )
    rates = {pk: AcceptanceRate(0, 0, 0, 0) for pk in call_ids}
    for row in rows:
        rates[row["call_id"]] = AcceptanceRate(
            row["submitted"], row["accepted"], row["waitlisted"], row["declined"]
        )
    return rates


def call_acceptance_rate(*, call: IncubatorCall) -> AcceptanceRate:
    return calls_acceptance_rates(call_ids=[call.pk])[call.pk]


def application_for_decision(*, pk: int, user: User) -> Application:
    """An application with its reviews and every score, for the incubator's managers only
    (404 for anyone else)."""
    if not user_manages_incubator(user=user):
        raise Http404
    application = (
        Application.objects.filter(pk=pk, status__in=(*REVIEWABLE_STATUSES, "withdrawn"))
        .select_related("call__cohort", "sector", "commune", "applicant", "decided_by")
        .prefetch_related(
            "founders",
            "needed_competences",
            Prefetch(
                "answers",
                queryset=Answer.objects.select_related("question").order_by(
                    "question__position", "question__pk"
                ),
            ),
            Prefetch(
                "reviews",
                queryset=Review.objects.select_related("reviewer").prefetch_related(
                    Prefetch(
                        "scores",
                        queryset=Score.objects.select_related("criterion").order_by(
                            "criterion__position", "criterion__pk"
                        ),
                    )
                ),
            ),
        )
        .first()
    )
    if application is None:
        raise Http404
    return application


def user_sees_call_ranking(*, user: User, call: IncubatorCall) -> bool:
    """Managers always; the call's reviewers once the round is closed."""
    if user_manages_incubator(user=user):
        return True
    return (
        call.review_closed_at is not None
        and user.is_authenticated
        and Review.objects.filter(reviewer=user, application__call=call).exists()
    )


# --- kpis ---


# A startup that left keeps being reminded (and counted as missing an update) this long.
KPI_REPORTING_YEARS_AFTER_EXIT = 3
SURVIVAL_YEARS = (1, 3)
SURVIVING_STATUSES = ("active", "acquired")


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_first_day(year: int, quarter: int) -> date:
    return date(year, 3 * (quarter - 1) + 1, 1)


def quarter_last_day(year: int, quarter: int) -> date:
    if quarter == 4:
        return date(year, 12, 31)
    return quarter_first_day(year, quarter + 1) - timedelta(days=1)


def quarter_previous(year: int, quarter: int) -> tuple[int, int]:
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


def quarter_next(year: int, quarter: int) -> tuple[int, int]:
    return (year + 1, 1) if quarter == 4 else (year, quarter + 1)


def quarter_last_finished(today: date | None = None) -> tuple[int, int]:
    """The last quarter that has ended (today's quarter has not)."""
    return quarter_previous(*quarter_of(today or timezone.localdate()))


def quarters_between(first: tuple[int, int], last: tuple[int, int]) -> list[tuple[int, int]]:
    quarters, current = [], first
    while current <= last:
        quarters.append(current)
        current = quarter_next(*current)
    return quarters


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def kpi_incubation_for(*, pk: int, user) -> Incubation:
    """A startup whose KPIs the user may read and report: its people and managers; 404
    for anyone else."""
    incubation = Incubation.objects.select_related("organisation", "cohort").filter(pk=pk).first()
    if incubation is None or not (
        user_manages_incubator(user=user)
        or user_speaks_for_startup(user=user, incubation=incubation)
    ):
        raise Http404
    return incubation


def kpi_updates_visible_to(
    *,
    user,
    incubation: Incubation | None = None,
    cohort: Cohort | None = None,
    year: int | None = None,
    quarter: int | None = None,
    status: str | None = None,
) -> QuerySet[KpiUpdate]:
    """KPI updates a user may read: managers all, founders their startups' only."""
    updates = KpiUpdate.objects.select_related(
        "incubation__organisation", "incubation__cohort", "submitted_by"
    )
    if not user_manages_incubator(user=user):
        updates = updates.filter(incubation__organisation__memberships__user=user)
    if incubation is not None:
        updates = updates.filter(incubation=incubation)
    if cohort is not None:
        updates = updates.filter(incubation__cohort=cohort)
    if year is not None:
        updates = updates.filter(year=year)
    if quarter is not None:
        updates = updates.filter(quarter=quarter)
    if status:
        updates = updates.filter(status=status)
    return updates.order_by("incubation__organisation__name", "-year", "-quarter", "pk")


@dataclass
class StartupKpiRow:
    incubation: Incubation
    last: KpiUpdate | None
    reported: int
    expected: int
    last_quarter_missing: bool

    @property
    def missing(self) -> int:
        return max(self.expected - self.reported, 0)


@dataclass
class QuarterTotals:
    year: int
    quarter: int
    reports: int
    headcount: int
    revenue: Decimal
    funds_raised: Decimal
    customers: int
    headcount_change: int | None = None
    revenue_change: Decimal | None = None

    @property
    def label(self) -> str:
        return f"{self.year} Q{self.quarter}"


@dataclass
class CallFigures(AcceptanceRate):
    """A call's applications for the dashboards: the acceptance rate of the jury's board,
    with the call and every application sent (drafts left out)."""

    call: IncubatorCall | None = None
    applications: int = 0

    @property
    def acceptance_rate(self) -> Decimal | None:
        return self.rate


@dataclass
class CohortDashboard:
    cohort: Cohort
    last_quarter: tuple[int, int]
    startups: list[StartupKpiRow]
    quarters: list[QuarterTotals]
    calls: list[CallFigures]
    phases: dict[str, int] = field(default_factory=dict)

    @property
    def missing_last_quarter(self) -> int:
        return sum(1 for row in self.startups if row.last_quarter_missing)


def _expected_quarters(
    incubation: Incubation, last: tuple[int, int], closed_at: tuple[int, int] | None
) -> list[tuple[int, int]]:
    """The quarters a startup is asked to report: from the one it started in to the last
    finished one; after it left, for KPI_REPORTING_YEARS_AFTER_EXIT years; never after it
    reported itself closed."""
    end = last
    if incubation.left_on is not None:
        end = min(
            end,
            quarter_of(_years_after(incubation.left_on, KPI_REPORTING_YEARS_AFTER_EXIT)),
        )
    if closed_at is not None:
        end = min(end, closed_at)
    return quarters_between(quarter_of(incubation.started_on), end)


def kpi_startup_rows(
    *, incubations: list[Incubation], updates: list[KpiUpdate], today: date
) -> list[StartupKpiRow]:
    last = quarter_last_finished(today)
    by_startup: dict[int, list[KpiUpdate]] = defaultdict(list)
    for update in updates:
        by_startup[update.incubation_id].append(update)
    rows = []
    for incubation in incubations:
        own = sorted(by_startup.get(incubation.pk, []), key=lambda u: (u.year, u.quarter))
        closed = next(((u.year, u.quarter) for u in own if u.status == "closed"), None)
        expected = set(_expected_quarters(incubation, last, closed))
        reported = {(u.year, u.quarter) for u in own}
        rows.append(
            StartupKpiRow(
                incubation=incubation,
                last=own[-1] if own else None,
                reported=len(reported & expected),
                expected=len(expected),
                last_quarter_missing=last in expected and last not in reported,
            )
        )
    return rows


def cohort_dashboard(*, cohort: Cohort, today: date | None = None) -> CohortDashboard:
    """A cohort's figures for its managers, in a fixed number of queries: its startups with
    their phase, last update and missing ones; totals per quarter; its calls' figures."""
    today = today or timezone.localdate()
    incubations = list(
        Incubation.objects.filter(cohort=cohort)
        .select_related("organisation")
        .order_by("organisation__name", "pk")
    )
    updates = list(
        KpiUpdate.objects.filter(incubation__cohort=cohort).order_by("year", "quarter", "pk")
    )
    rows = kpi_startup_rows(incubations=incubations, updates=updates, today=today)
    for row in rows:
        if row.last is not None:
            row.last.incubation = row.incubation
    totals = (
        KpiUpdate.objects.filter(incubation__cohort=cohort)
        .values("year", "quarter")
        .annotate(
            reports=Count("pk"),
            headcount_sum=Sum("headcount"),
            revenue_sum=Sum("revenue"),
            funds_sum=Sum("funds_raised"),
            customers_sum=Sum("customers"),
        )
        .order_by("year", "quarter")
    )
    quarters: list[QuarterTotals] = []
    for item in totals:
        entry = QuarterTotals(
            year=item["year"],
            quarter=item["quarter"],
            reports=item["reports"],
            headcount=item["headcount_sum"] or 0,
            revenue=item["revenue_sum"] or Decimal("0"),
            funds_raised=item["funds_sum"] or Decimal("0"),
            customers=item["customers_sum"] or 0,
        )
        if quarters:
            entry.headcount_change = entry.headcount - quarters[-1].headcount
            entry.revenue_change = entry.revenue - quarters[-1].revenue
        quarters.append(entry)
    calls = [
        CallFigures(
            call=call,
            applications=call.n_all,
            submitted=call.n_submitted,
            accepted=call.n_accepted,
            waitlisted=call.n_waitlisted,
            declined=call.n_declined,
        )
        for call in _calls_with_counts(IncubatorCall.objects.filter(cohort=cohort))
    ]
    phases: dict[str, int] = {value: 0 for value in Phase.values}
    for incubation in incubations:
        phases[incubation.phase] += 1
    return CohortDashboard(
        cohort=cohort,
        last_quarter=quarter_last_finished(today),
        startups=rows,
        quarters=quarters,
        calls=calls,
        phases=phases,
    )


def _calls_with_counts(calls: QuerySet[IncubatorCall]) -> QuerySet[IncubatorCall]:
    decided_or_waiting = ("submitted", "accepted", "waitlisted", "declined")
    return calls.annotate(
        n_all=Count("applications", filter=~Q(applications__status="draft")),
        n_submitted=Count("applications", filter=Q(applications__status__in=decided_or_waiting)),
        n_accepted=Count("applications", filter=Q(applications__status="accepted")),
        n_waitlisted=Count("applications", filter=Q(applications__status="waitlisted")),
        n_declined=Count("applications", filter=Q(applications__status="declined")),
    ).order_by("opens_at", "pk")


@dataclass
class Survival:
    years: int
    left: int  # startups that left at least `years` ago
    survived: int
    closed: int
    unknown: int  # no report from after they left up to then

    @property
    def known(self) -> int:
        return self.survived + self.closed

    @property
    def rate(self) -> Decimal | None:
        """The share surviving among those whose status is known, in per cent."""
        if not self.known:
            return None
        return (Decimal(100) * self.survived / self.known).quantize(Decimal("0.1"))


@dataclass
class CohortSummary:
    cohort: Cohort
    startups: int
    running: int
    left: int


@dataclass
class IncubatorOverview:
    phases: list[tuple[str, str, int]]
    survival: list[Survival]
    cohorts: list[CohortSummary]
    calls: list[CallFigures]


def kpi_survival(
    *, exits: list[tuple[int, date]], updates: list[tuple[int, int, int, str]], today: date
) -> list[Survival]:
    """Survival one and three years after leaving. `exits` are (incubation, left on);
    `updates` (incubation, year, quarter, status). A startup counts for N years when it
    left at least N years ago; its status then is that of its latest update for a quarter
    ending after it left and no later than N years after; with none, it is unknown."""
    by_startup: dict[int, list[tuple[date, str]]] = defaultdict(list)
    for incubation_id, year, quarter, status in updates:
        by_startup[incubation_id].append((quarter_last_day(year, quarter), status))
    for reports in by_startup.values():
        reports.sort()
    result = []
    for years in SURVIVAL_YEARS:
        figures = Survival(years=years, left=0, survived=0, closed=0, unknown=0)
        for incubation_id, left_on in exits:
            anniversary = _years_after(left_on, years)
            if anniversary > today:
                continue
            figures.left += 1
            window = [
                status
                for ends_on, status in by_startup.get(incubation_id, [])
                if left_on <= ends_on and quarter_of(ends_on) <= quarter_of(anniversary)
            ]
            if not window:
                figures.unknown += 1
            elif window[-1] in SURVIVING_STATUSES:
                figures.survived += 1
            else:
                figures.closed += 1
        result.append(figures)
    return result


def incubator_overview(*, today: date | None = None) -> IncubatorOverview:
    """The incubator at a glance for its managers (fixed number of queries): startups by
    phase, survival after leaving, the cohorts and the calls' acceptance rates."""
    today = today or timezone.localdate()
    counts = dict(
        Incubation.objects.values_list("phase").annotate(n=Count("pk")).values_list("phase", "n")
    )
    phases = [(value, str(label), counts.get(value, 0)) for value, label in Phase.choices]
    exits = list(Incubation.objects.filter(left_on__isnull=False).values_list("pk", "left_on"))
    updates = list(
        KpiUpdate.objects.filter(incubation__left_on__isnull=False).values_list(
            "incubation_id", "year", "quarter", "status"
        )
    )
    cohorts = [
        CohortSummary(cohort=c, startups=c.n_startups, running=c.n_running, left=c.n_left)
        for c in Cohort.objects.annotate(
            n_startups=Count("incubations"),
            n_running=Count("incubations", filter=Q(incubations__phase__in=WORKING_PHASES)),
            n_left=Count("incubations", filter=Q(incubations__left_on__isnull=False)),
        ).order_by("-starts_on", "name")
    ]
    calls = [
        CallFigures(
            call=call,
            applications=call.n_all,
            submitted=call.n_submitted,
            accepted=call.n_accepted,
            waitlisted=call.n_waitlisted,
            declined=call.n_declined,
        )
        for call in _calls_with_counts(IncubatorCall.objects.select_related("cohort")).reverse()
    ]
    return IncubatorOverview(
        phases=phases,
        survival=kpi_survival(exits=exits, updates=updates, today=today),
        cohorts=cohorts,
        calls=calls,
    )


KPI_EXPORT_KEYS = [
    "startup",
    "cohort",
    "phase",
    "year",
    "quarter",
    "headcount",
    "revenue",
    "funds_raised",
    "customers",
    "status",
    "note",
    "submitted_at",
]


def kpi_export_rows(*, cohort: Cohort | None = None) -> Iterator[dict]:
    """Every KPI update (of a cohort, or all), one row each, read in chunks."""
    updates = KpiUpdate.objects.select_related("incubation__organisation", "incubation__cohort")
    if cohort is not None:
        updates = updates.filter(incubation__cohort=cohort)
    phase_labels = dict(Phase.choices)
    status_labels = dict(KpiUpdate._meta.get_field("status").choices)
    for update in updates.order_by(
        "incubation__cohort__starts_on", "incubation__organisation__name", "year", "quarter"
    ).iterator(chunk_size=2000):
        incubation = update.incubation
        yield {
            "startup": incubation.organisation.name,
            "cohort": incubation.cohort.name,
            "phase": str(phase_labels.get(incubation.phase, incubation.phase)),
            "year": update.year,
            "quarter": update.quarter,
            "headcount": update.headcount,
            "revenue": update.revenue,
            "funds_raised": update.funds_raised,
            "customers": update.customers,
            "status": str(status_labels.get(update.status, update.status)),
            "note": update.note,
            "submitted_at": timezone.localtime(update.updated_at).strftime("%Y-%m-%d %H:%M"),
        }


def kpi_reminder_targets(*, today: date) -> list[Incubation]:
    """Startups asked for the last quarter's update: running ones that started by its end,
    and those that left within KPI_REPORTING_YEARS_AFTER_EXIT years and have not reported
    themselves closed; none of which has reported that quarter yet."""
    year, quarter = quarter_last_finished(today)
    ends_on = quarter_last_day(year, quarter)
    since = _years_after(quarter_first_day(year, quarter), -KPI_REPORTING_YEARS_AFTER_EXIT)
    return list(
        Incubation.objects.filter(started_on__lte=ends_on)
        .filter(Q(left_on__isnull=True) | Q(left_on__gte=since))
        .exclude(
            Exists(KpiUpdate.objects.filter(incubation=OuterRef("pk"), year=year, quarter=quarter))
        )
        .exclude(Exists(KpiUpdate.objects.filter(incubation=OuterRef("pk"), status="closed")))
        .select_related("organisation")
        .order_by("pk")
    )


# --- the menu -------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncubatorMenuRoles:
    speaks_for_a_startup: bool
    mentors: bool
    reviews: bool


def incubator_menu_roles(*, user: User) -> IncubatorMenuRoles:
    """What the incubator's menu entries need to know of a signed-in user, in one query,
    remembered on the request's user: every page draws the menu."""
    known = getattr(user, "_incubator_menu_roles", None)
    if known is not None:
        return known
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(
            speaks=Exists(
                Incubation.objects.filter(organisation__memberships__user=OuterRef("pk"))
            ),
            mentors=Exists(Mentor.objects.filter(user=OuterRef("pk"), active=True)),
            reviews=Exists(Review.objects.filter(reviewer=OuterRef("pk"))),
        )
        .values_list("speaks", "mentors", "reviews")
        .first()
    ) or (False, False, False)
    known = IncubatorMenuRoles(*row)
    user._incubator_menu_roles = known  # type: ignore[attr-defined]
    return known
