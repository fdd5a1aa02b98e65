"""Reads of the incubator: who may do what, calls, applications, reviews, startups, KPIs."""

from __future__ import annotations

from fabreck.accounts.models import User
from fabreck.incubator.models import Incubation


def user_manages_incubator(*, user: User) -> bool:
    """Incubator managers (and administrators, who hold every permission)."""
    return user.is_authenticated and user.has_perm("accounts.manage_incubator")


def user_speaks_for_startup(*, user: User, incubation: Incubation) -> bool:
    """The startup's people (its organisation's owners, admins and members)."""
    return user.is_authenticated and incubation.organisation.memberships.filter(user=user).exists()


# --- calls ---
from dataclasses import dataclass  # noqa: E402
from datetime import datetime  # noqa: E402

from django.core.paginator import Page, Paginator  # noqa: E402
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet  # noqa: E402
from django.http import Http404  # noqa: E402
from django.utils import timezone  # noqa: E402

from fabreck.cluster.models import Organisation, OrganisationPerson  # noqa: E402
from fabreck.incubator.models import (  # noqa: E402
    Answer,
    Application,
    ApplicationStatus,
    Cohort,
    Criterion,
    Founder,
    IncubatorCall,
    Question,
    Review,
)

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
