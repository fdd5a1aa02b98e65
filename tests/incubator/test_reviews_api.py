"""The jury's API: reviews for their reviewers only, the ranking and decisions for
managers; refusals come back as {"error": {...}} and change nothing."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from fabreck.incubator.models import Application, Incubation, IncubatorCall, Review, Score
from tests.factories import UserFactory
from tests.incubator.helpers import application_make, call_make
from tests.incubator.reviews_helpers import assigned, scored

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def call(manager):
    return call_make(by=manager)


@pytest.fixture
def application(call):
    return application_make(call=call)


def _scores(call, *values):
    return [
        {"criterion": c.pk, "value": v, "comment": f"on {c.label_en}"}
        for c, v in zip(call.criteria.order_by("position"), values, strict=True)
    ]


def test_a_reviewer_lists_reads_and_scores_their_reviews(manager, application, call):
    review = assigned(application, manager)
    assigned(application_make(call=call, startup_name="Not mine"), manager)
    api = _api(review.reviewer)

    listing = api.get("/api/v1/incubator/reviews/").json()
    assert [r["application"]["startup_name"] for r in listing["results"]] == ["Pixel Loom"]
    detail = api.get(f"/api/v1/incubator/reviews/{review.pk}/").json()
    assert [c["label"] for c in detail["criteria"]] == ["Team", "Market", "Idea"]
    assert detail["call"]["score_max"] == 5 and detail["scores"] == []

    response = api.post(
        f"/api/v1/incubator/reviews/{review.pk}/scores/",
        {"scores": _scores(call, 5, 4, 3), "comment": "Solid"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["status"] == "submitted" and data["comment"] == "Solid"
    assert sorted(s["value"] for s in data["scores"]) == [3, 4, 5]


def test_a_score_outside_the_scale_is_a_400_and_stores_nothing(manager, application, call):
    review = assigned(application, manager)

    response = _api(review.reviewer).post(
        f"/api/v1/incubator/reviews/{review.pk}/scores/",
        {"scores": _scores(call, 5, 6, 3)},
        format="json",
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    market = call.criteria.get(label_en="Market")
    assert error["fields"][f"score_{market.pk}"] == ["Score “Market” from 0 to 5."]
    assert not Score.objects.exists()


def test_a_missing_criterion_is_a_400(manager, application, call):
    review = assigned(application, manager)
    response = _api(review.reviewer).post(
        f"/api/v1/incubator/reviews/{review.pk}/scores/",
        {"scores": _scores(call, 5, 4, 3)[:2]},
        format="json",
    )
    assert response.status_code == 400
    assert not Score.objects.exists()


def test_others_get_a_404_on_a_review(manager, application, call):
    review = assigned(application, manager)
    for intruder in (UserFactory(), manager, application.applicant):
        api = _api(intruder)
        assert api.get(f"/api/v1/incubator/reviews/{review.pk}/").status_code == 404
        response = api.post(
            f"/api/v1/incubator/reviews/{review.pk}/scores/",
            {"scores": _scores(call, 1, 1, 1)},
            format="json",
        )
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
        assert (
            api.post(
                f"/api/v1/incubator/reviews/{review.pk}/conflict/", {"reason": "x"}
            ).status_code
            == 404
        )
    assert Review.objects.get(pk=review.pk).status == "assigned"
    assert not Score.objects.exists()


def test_a_conflict_then_a_score_is_refused(manager, application, call):
    review = assigned(application, manager)
    api = _api(review.reviewer)

    blank = api.post(f"/api/v1/incubator/reviews/{review.pk}/conflict/", {"reason": ""})
    assert blank.status_code == 400
    declared = api.post(
        f"/api/v1/incubator/reviews/{review.pk}/conflict/", {"reason": "I invested"}
    )
    assert declared.json()["status"] == "conflict"
    response = api.post(
        f"/api/v1/incubator/reviews/{review.pk}/scores/",
        {"scores": _scores(call, 1, 1, 1)},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["problems"][0]["code"] == "conflict"
    assert not Score.objects.exists()


def test_scores_after_the_round_closed_are_refused(manager, application, call):
    review = scored(application, manager, 3, 3, 3)
    IncubatorCall.objects.filter(pk=call.pk).update(
        closes_at=timezone.now() - timedelta(hours=1), review_closed_at=timezone.now()
    )

    response = _api(review.reviewer).post(
        f"/api/v1/incubator/reviews/{review.pk}/scores/",
        {"scores": _scores(call, 5, 5, 5)},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["problems"][0]["code"] == "round_closed"
    assert set(Score.objects.values_list("value", flat=True)) == {3}


def test_the_ranking_is_for_managers_and_for_reviewers_after_closing(manager, application, call):
    review = scored(application, manager, 4, 2, 2)  # (8+2+2)/4 = 3
    url = f"/api/v1/incubator/calls/{call.pk}/ranking/"

    assert _api(review.reviewer).get(url).status_code == 404
    assert _api(UserFactory()).get(url).status_code == 404
    data = _api(manager).get(url).json()
    [row] = data["rows"]
    assert (row["startup_name"], row["rank"], row["mean"], row["percent"]) == (
        "Pixel Loom",
        1,
        "3.00",
        "60.00",
    )
    assert data["acceptance"] == {
        "submitted": 1,
        "accepted": 0,
        "waitlisted": 0,
        "declined": 0,
        "rate": "0.00",
    }
    IncubatorCall.objects.filter(pk=call.pk).update(
        closes_at=timezone.now() - timedelta(hours=1), review_closed_at=timezone.now()
    )
    assert _api(review.reviewer).get(url).status_code == 200


def test_a_manager_decides_through_the_api(manager, application):
    url = f"/api/v1/incubator/applications/{application.pk}/decision/"

    assert _api(UserFactory()).post(url, {"decision": "accepted"}).status_code == 404
    bad = _api(manager).post(url, {"decision": "maybe"})
    assert bad.status_code == 400
    response = _api(manager).post(url, {"decision": "accepted", "message": "Welcome"})

    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["status"] == "accepted" and data["decision_message"] == "Welcome"
    assert data["incubation"] == Incubation.objects.get(application=application).pk
    again = _api(manager).post(url, {"decision": "declined"})
    assert again.status_code == 400
    assert again.json()["error"]["problems"] == [
        {"code": "already_decided", "message": "This application is already accepted."}
    ]
    assert Application.objects.get(pk=application.pk).status == "accepted"


def test_the_schema_describes_the_review_endpoints_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))
    text = (tmp_path / "s.yml").read_text()
    for path in (
        "/api/v1/incubator/reviews/{id}/scores/",
        "/api/v1/incubator/calls/{id}/ranking/",
        "/api/v1/incubator/applications/{id}/decision/",
    ):
        assert path in text


def test_managers_assign_and_read_every_score_while_reviewers_cannot(manager, application, call):
    url = f"/api/v1/incubator/applications/{application.pk}/reviews/"
    first = scored(application, manager, 2, 3, 4)
    jury = UserFactory(email="jury@example.lu")

    created = _api(manager).post(url, {"email": "jury@example.lu"})
    assert created.status_code == 201, created.json()
    assert created.json()["reviewer"]["email"] == "jury@example.lu"
    twice = _api(manager).post(url, {"reviewer": jury.pk})
    assert twice.json()["error"]["problems"][0]["code"] == "already_assigned"
    unknown = _api(manager).post(url, {"email": "nobody@example.lu"})
    assert unknown.status_code == 400 and "email" in unknown.json()["error"]["fields"]
    founder = _api(manager).post(url, {"email": application.applicant.email})
    assert founder.json()["error"]["problems"][0]["code"] == "reviewer_is_founder"

    reviews = _api(manager).get(url).json()
    assert [(r["reviewer"]["email"], r["status"]) for r in reviews] == [
        (first.reviewer.email, "submitted"),
        ("jury@example.lu", "assigned"),
    ]
    assert sorted(s["value"] for s in reviews[0]["scores"]) == [2, 3, 4]
    # A reviewer does not read the others' scores, nor assign.
    assert _api(first.reviewer).get(url).status_code == 404
    assert _api(first.reviewer).post(url, {"email": "x@example.lu"}).status_code == 404
    assert Review.objects.count() == 2
