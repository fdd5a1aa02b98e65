"""Makers of the reviews tests: reviewers assigned and scoring through the services."""

from __future__ import annotations

from fabreck.incubator.models import Application, IncubatorCall, Review
from fabreck.incubator.services import ScoreInput, review_assign, review_submit
from tests.factories import UserFactory


def scores_for(call: IncubatorCall, *values: int, comment: str = "") -> list[ScoreInput]:
    """One score per criterion of the call, in the criteria's order."""
    criteria = list(call.criteria.order_by("position", "pk"))
    assert len(values) == len(criteria)
    return [
        ScoreInput(criterion_id=c.pk, value=v, comment=comment)
        for c, v in zip(criteria, values, strict=True)
    ]


def assigned(application: Application, manager, reviewer=None) -> Review:
    return review_assign(application=application, reviewer=reviewer or UserFactory(), by=manager)


def scored(application: Application, manager, *values: int, reviewer=None) -> Review:
    review = assigned(application, manager, reviewer)
    return review_submit(
        review=review, by=review.reviewer, scores=scores_for(application.call, *values)
    )
