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


# --- reviews ---
from dataclasses import dataclass, field  # noqa: E402
from decimal import ROUND_HALF_UP, Decimal  # noqa: E402
from statistics import pstdev  # noqa: E402

from django.db.models import Count, Prefetch, Q, QuerySet  # noqa: E402
from django.http import Http404  # noqa: E402

from fabreck.incubator.models import (  # noqa: E402
    DECISION_STATUSES,
    Answer,
    Application,
    Criterion,
    IncubatorCall,
    Review,
    Score,
)

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
