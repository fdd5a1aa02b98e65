"""The jury's services: assignments, conflicts, scores, the round, and the ranking."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fabreck.incubator.models import IncubatorCall, Review, Score
from fabreck.incubator.selectors import (
    call_acceptance_rate,
    call_ranking,
    review_board,
    reviewers_previous,
)
from fabreck.incubator.services import (
    ScoreInput,
    review_assign,
    review_conflict_declare,
    review_round_close,
    review_round_reopen,
    review_submit,
    review_unassign,
    reviews_assign_all,
)
from tests.factories import UserFactory
from tests.incubator.helpers import application_make, call_make
from tests.incubator.reviews_helpers import assigned, scored, scores_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(manager):
    return call_make(by=manager)


@pytest.fixture
def application(call):
    return application_make(call=call)


def _close(call, manager):
    IncubatorCall.objects.filter(pk=call.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    call.refresh_from_db()
    return review_round_close(call=call, by=manager)


# --- assignments ---------------------------------------------------------------------------


def test_the_manager_assigns_a_reviewer_once(manager, application):
    reviewer = UserFactory()
    review = review_assign(application=application, reviewer=reviewer, by=manager)

    assert (review.status, review.reviewer, review.assigned_by) == ("assigned", reviewer, manager)
    with pytest.raises(ValidationError) as refused:
        review_assign(application=application, reviewer=reviewer, by=manager)
    assert refused.value.code == "already_assigned"
    assert Review.objects.count() == 1


def test_only_managers_assign_and_only_submitted_applications(manager, call):
    draft = application_make(call=call, status="draft", startup_name="Draft")
    with pytest.raises(ValidationError):
        review_assign(application=draft, reviewer=UserFactory(), by=manager)
    submitted = application_make(call=call, startup_name="Sub")
    with pytest.raises(PermissionDenied):
        review_assign(application=submitted, reviewer=UserFactory(), by=UserFactory())
    assert not Review.objects.exists()


def test_a_founder_cannot_review_their_own_application(manager, application):
    with pytest.raises(ValidationError) as refused:
        review_assign(application=application, reviewer=application.applicant, by=manager)
    assert refused.value.code == "reviewer_is_founder"
    inactive = UserFactory(is_active=False)
    with pytest.raises(ValidationError):
        review_assign(application=application, reviewer=inactive, by=manager)
    assert not Review.objects.exists()


def test_assigning_to_all_skips_those_already_assigned_and_own_teams(manager, call):
    reviewer = UserFactory()
    first = application_make(call=call, startup_name="A")
    application_make(call=call, startup_name="B")
    application_make(call=call, startup_name="Own", applicant=reviewer)
    application_make(call=call, startup_name="Draft", status="draft")
    assigned(first, manager, reviewer)

    created = reviews_assign_all(call=call, reviewer=reviewer, by=manager)

    assert [r.application.startup_name for r in created] == ["B"]
    assert Review.objects.filter(reviewer=reviewer).count() == 2
    assert reviewers_previous() == [reviewer]


def test_unassign_only_while_nothing_is_scored(manager, application):
    waiting = assigned(application, manager)
    review_unassign(review=waiting, by=manager)
    assert not Review.objects.filter(pk=waiting.pk).exists()

    done = scored(application, manager, 3, 3, 3)
    with pytest.raises(ValidationError) as refused:
        review_unassign(review=done, by=manager)
    assert refused.value.code == "review_started"
    assert Review.objects.filter(pk=done.pk).exists()


# --- conflicts and scores ------------------------------------------------------------------


def test_a_reviewer_scores_every_criterion_and_may_resubmit(manager, application, call):
    review = assigned(application, manager)

    review_submit(
        review=review, by=review.reviewer, scores=scores_for(call, 4, 3, 5), comment="Strong"
    )
    review.refresh_from_db()
    assert review.status == "submitted" and review.submitted_at is not None
    assert review.comment == "Strong"
    assert sorted(Score.objects.filter(review=review).values_list("value", flat=True)) == [3, 4, 5]

    review_submit(review=review, by=review.reviewer, scores=scores_for(call, 1, 1, 1))
    assert list(Score.objects.filter(review=review).values_list("value", flat=True)) == [1, 1, 1]


@pytest.mark.parametrize(
    "values, message",
    [
        ((6, 3, 3), "Score “Team” from 0 to 5."),
        ((-1, 3, 3), "Score “Team” from 0 to 5."),
        ((None, 3, 3), "Score “Team”."),
    ],
)
def test_a_score_outside_the_scale_or_missing_stores_nothing(
    manager, application, call, values, message
):
    review = assigned(application, manager)

    with pytest.raises(ValidationError) as refused:
        review_submit(review=review, by=review.reviewer, scores=scores_for(call, *values))

    assert message in refused.value.messages
    review.refresh_from_db()
    assert review.status == "assigned" and not Score.objects.exists()


def test_a_missing_or_foreign_criterion_stores_nothing(manager, application, call):
    review = assigned(application, manager)
    other = call_make(by=manager, slug="other", cohort=call.cohort)
    team, market, _idea = call.criteria.order_by("position")
    foreign = other.criteria.first()

    with pytest.raises(ValidationError) as refused:
        review_submit(
            review=review,
            by=review.reviewer,
            scores=[
                ScoreInput(team.pk, 3),
                ScoreInput(market.pk, 3),
                ScoreInput(foreign.pk, 3),
            ],
        )

    assert "Score “Idea”." in refused.value.messages
    assert f"Criterion {foreign.pk} is not one of this call's." in refused.value.messages
    assert not Score.objects.exists()


def test_only_the_assigned_reviewer_scores(manager, application, call):
    review = assigned(application, manager)
    for intruder in (UserFactory(), manager):
        with pytest.raises(PermissionDenied):
            review_submit(review=review, by=intruder, scores=scores_for(call, 3, 3, 3))
        with pytest.raises(PermissionDenied):
            review_conflict_declare(review=review, by=intruder, reason="no")
    assert not Score.objects.exists()
    assert Review.objects.get(pk=review.pk).status == "assigned"


def test_a_conflict_is_final_withdraws_scores_and_blocks_scoring(manager, application, call):
    review = scored(application, manager, 4, 4, 4)

    with pytest.raises(ValidationError):
        review_conflict_declare(review=review, by=review.reviewer, reason="  ")
    review_conflict_declare(review=review, by=review.reviewer, reason="I advise this team")

    review.refresh_from_db()
    assert (review.status, review.conflict_reason) == ("conflict", "I advise this team")
    assert not Score.objects.filter(review=review).exists()
    with pytest.raises(ValidationError) as refused:
        review_submit(review=review, by=review.reviewer, scores=scores_for(call, 3, 3, 3))
    assert refused.value.code == "conflict"
    assert not Score.objects.filter(review=review).exists()


# --- the round -----------------------------------------------------------------------------


def test_closing_freezes_the_reviews(manager, application, call):
    review = scored(application, manager, 4, 4, 4)
    pending = assigned(application, manager)
    with pytest.raises(ValidationError) as refused:
        review_round_close(call=call, by=manager)
    assert refused.value.code == "call_open"

    _close(call, manager)

    for attempt in (
        lambda: review_submit(review=review, by=review.reviewer, scores=scores_for(call, 1, 1, 1)),
        lambda: review_conflict_declare(review=pending, by=pending.reviewer, reason="Friend"),
        lambda: review_unassign(review=pending, by=manager),
        lambda: review_assign(application=application, reviewer=UserFactory(), by=manager),
    ):
        with pytest.raises(ValidationError) as refused:
            attempt()
        assert refused.value.code == "round_closed"
    assert sorted(Score.objects.values_list("value", flat=True)) == [4, 4, 4]
    assert Review.objects.get(pk=pending.pk).status == "assigned"


def test_reopening_is_refused_once_a_decision_exists(manager, call):
    application_make(call=call)
    _close(call, manager)
    call = review_round_reopen(call=call, by=manager)
    assert call.review_closed_at is None

    review_round_close(call=call, by=manager)
    application_make(call=call, startup_name="Declined", status="declined")
    with pytest.raises(ValidationError) as refused:
        review_round_reopen(call=call, by=manager)
    assert refused.value.messages == [
        "A decision was made on 1 application: the round stays closed."
    ]
    assert IncubatorCall.objects.get(pk=call.pk).review_closed_at is not None


# --- board, ranking, acceptance ------------------------------------------------------------


def test_the_board_counts_assigned_abstained_and_scored(manager, application, call):
    scored(application, manager, 3, 3, 3)
    conflicted = assigned(application, manager)
    review_conflict_declare(review=conflicted, by=conflicted.reviewer, reason="Cousin")
    assigned(application, manager)
    application_make(call=call, startup_name="Draft", status="draft")

    [row] = review_board(call=call)

    assert (row.assigned, row.abstained, row.scored) == (3, 1, 1)


def test_the_ranking_weighs_criteria_and_shows_the_spread(manager, call):
    # Criteria Team weighs 2, Market 1, Idea 1, scale 0..5.
    best = application_make(call=call, startup_name="Best")
    scored(best, manager, 5, 3, 1)  # (10+3+1)/4 = 3.5
    scored(best, manager, 4, 4, 4)  # 4.0
    abstainer = assigned(best, manager)
    review_conflict_declare(review=abstainer, by=abstainer.reviewer, reason="Shareholder")
    weak = application_make(call=call, startup_name="Weak")
    scored(weak, manager, 1, 5, 5)  # (2+5+5)/4 = 3.0
    unscored = application_make(call=call, startup_name="Alone")
    assigned(unscored, manager)

    rows = call_ranking(call=call)

    assert [r.application.startup_name for r in rows] == ["Best", "Weak", "Alone"]
    first, second, last = rows
    assert (first.rank, first.mean, first.percent) == (1, Decimal("3.75"), Decimal("75.00"))
    assert (first.scored, first.abstained, first.assigned) == (2, 1, 3)
    assert (first.spread, first.stdev) == (Decimal("0.50"), Decimal("0.25"))
    assert (second.rank, second.mean, second.spread) == (2, Decimal("3.00"), Decimal("0.00"))
    assert (last.rank, last.mean, last.scored, last.assigned) == (None, None, 0, 1)


def test_the_ranking_takes_a_fixed_number_of_queries(manager, call, django_assert_max_num_queries):
    for n in range(6):
        application = application_make(call=call, startup_name=f"S{n}")
        scored(application, manager, n % 6, 2, 3)
        scored(application, manager, 1, 2, 3)

    with django_assert_max_num_queries(2):
        rows = call_ranking(call=call)
    assert len(rows) == 6


def test_the_acceptance_rate_counts_submitted_ones_but_not_withdrawn(manager, call):
    for n, status in enumerate(
        ["accepted", "declined", "waitlisted", "submitted", "withdrawn", "draft"]
    ):
        application_make(call=call, startup_name=f"S{n}", status=status)

    rate = call_acceptance_rate(call=call)

    assert (rate.submitted, rate.accepted, rate.waitlisted, rate.declined) == (4, 1, 1, 1)
    assert rate.rate == Decimal("25.00")
    empty = call_make(by=manager, slug="empty", cohort=call.cohort)
    assert call_acceptance_rate(call=empty).rate is None
