"""The jury's pages: "My reviews", scoring or abstaining, the manager's board, the ranking
and the decision."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fabreck.incubator.models import Answer, Application, Incubation, IncubatorCall, Review, Score
from fabreck.incubator.services import review_conflict_declare
from tests.factories import UserFactory
from tests.incubator.helpers import application_make, call_make
from tests.incubator.reviews_helpers import assigned, scored

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(manager):
    return call_make(by=manager)


@pytest.fixture
def application(call):
    return application_make(call=call)


def _score_post(call, *values, comment="Good team"):
    data = {"comment": comment}
    for criterion, value in zip(call.criteria.order_by("position"), values, strict=True):
        data[f"score_{criterion.pk}"] = value
        data[f"comment_{criterion.pk}"] = f"On {criterion.label_en}"
    return data


def _close_call(call):
    IncubatorCall.objects.filter(pk=call.pk).update(
        closes_at=timezone.now() - timedelta(minutes=1), review_closed_at=timezone.now()
    )


# --- reviewers ------------------------------------------------------------------------------


def test_my_reviews_lists_assignments_per_call(client, manager, application, call):
    review = assigned(application, manager)
    other = application_make(call=call, startup_name="Loom Two")
    assigned(other, manager)  # someone else's
    client.force_login(review.reviewer)

    html = client.get("/incubator/reviews/").content.decode()

    assert "Pixel Loom" in html and "Loom Two" not in html
    assert f"/incubator/reviews/{review.pk}/" in html
    assert "My reviews" in html  # the menu entry too


def test_a_reviewer_scores_on_the_page_and_sees_only_their_own_scores(
    client, manager, application, call
):
    scored(application, manager, 1, 1, 1)  # another reviewer
    review = assigned(application, manager)
    client.force_login(review.reviewer)

    page = client.get(f"/incubator/reviews/{review.pk}/").content.decode()
    assert "Woven textiles that light up." in page  # the application's fields
    response = client.post(
        f"/incubator/reviews/{review.pk}/scores/", _score_post(call, 4, 5, 3), follow=True
    )

    assert response.status_code == 200
    review.refresh_from_db()
    assert review.status == "submitted" and review.comment == "Good team"
    assert sorted(review.scores.values_list("value", flat=True)) == [3, 4, 5]
    html = response.content.decode()
    assert "Your scores are saved." in html
    # The other reviewer's ranking is not shown, and the ranking page is closed to them.
    assert client.get(f"/incubator/reviews/calls/{call.pk}/ranking/").status_code == 404


def test_a_score_outside_the_scale_is_refused_on_the_page(client, manager, application, call):
    review = assigned(application, manager)
    client.force_login(review.reviewer)

    response = client.post(f"/incubator/reviews/{review.pk}/scores/", _score_post(call, 9, 1, 1))

    assert response.status_code == 400
    assert "Ensure this value is less than or equal to 5." in response.content.decode()
    assert not Score.objects.exists()
    assert Review.objects.get(pk=review.pk).status == "assigned"


def test_declaring_a_conflict_on_the_page_then_scoring_is_refused(
    client, manager, application, call
):
    review = assigned(application, manager)
    client.force_login(review.reviewer)

    empty = client.post(f"/incubator/reviews/{review.pk}/conflict/", {"reason": ""})
    assert empty.status_code == 400
    client.post(f"/incubator/reviews/{review.pk}/conflict/", {"reason": "My brother's firm"})
    response = client.post(f"/incubator/reviews/{review.pk}/scores/", _score_post(call, 3, 3, 3))

    assert response.status_code == 400
    assert "you cannot score it" in response.content.decode()
    review.refresh_from_db()
    assert (review.status, review.conflict_reason) == ("conflict", "My brother's firm")
    assert not Score.objects.exists()
    assert (
        "You declared a conflict of interest"
        in client.get(f"/incubator/reviews/{review.pk}/").content.decode()
    )


def test_someone_elses_review_is_a_404(client, manager, application, call):
    review = assigned(application, manager)
    for intruder in (UserFactory(), manager, application.applicant):
        client.force_login(intruder)
        assert client.get(f"/incubator/reviews/{review.pk}/").status_code == 404
        assert (
            client.post(
                f"/incubator/reviews/{review.pk}/scores/", _score_post(call, 3, 3, 3)
            ).status_code
            == 404
        )
    assert not Score.objects.exists()


def test_after_closing_the_reviewer_reads_the_ranking_and_cannot_change_scores(
    client, manager, application, call
):
    review = scored(application, manager, 4, 4, 4)
    _close_call(call)
    client.force_login(review.reviewer)

    page = client.get(f"/incubator/reviews/{review.pk}/").content.decode()
    assert "The review round is closed" in page and 'data-testid="score-form"' not in page
    response = client.post(f"/incubator/reviews/{review.pk}/scores/", _score_post(call, 1, 1, 1))
    assert response.status_code == 400
    assert sorted(Score.objects.values_list("value", flat=True)) == [4, 4, 4]
    ranking = client.get(f"/incubator/reviews/calls/{call.pk}/ranking/")
    assert ranking.status_code == 200 and "4.00" in ranking.content.decode()


# --- managers -------------------------------------------------------------------------------


def test_the_board_is_for_managers_only(client, manager, call):
    client.force_login(UserFactory())
    assert client.get(f"/incubator/reviews/calls/{call.pk}/").status_code == 404
    assert client.get("/incubator/reviews/calls/").status_code == 403
    client.force_login(manager)
    assert client.get("/incubator/reviews/calls/").status_code == 200


def test_the_manager_assigns_by_email_and_to_all(client, manager, application, call):
    second = application_make(call=call, startup_name="Second")
    reviewer = UserFactory(email="jury@example.lu")
    client.force_login(manager)

    one = client.post(
        f"/incubator/reviews/calls/{call.pk}/assign/",
        {"email": "JURY@example.lu", "application": application.pk},
    )
    assert one.status_code == 302
    everyone = client.post(f"/incubator/reviews/calls/{call.pk}/assign/", {"previous": reviewer.pk})
    assert everyone.status_code == 302
    assert set(Review.objects.filter(reviewer=reviewer).values_list("application", flat=True)) == {
        application.pk,
        second.pk,
    }

    unknown = client.post(
        f"/incubator/reviews/calls/{call.pk}/assign/", {"email": "nobody@example.lu"}
    )
    assert unknown.status_code == 400
    assert "No active account uses this e-mail address." in unknown.content.decode()
    founder = client.post(
        f"/incubator/reviews/calls/{call.pk}/assign/",
        {"email": application.applicant.email, "application": application.pk},
    )
    assert founder.status_code == 400
    assert "a founder cannot review" in founder.content.decode()
    assert Review.objects.count() == 2


def test_the_board_shows_progress_in_few_queries(
    client, manager, call, django_assert_max_num_queries
):
    for n in range(8):
        application = application_make(call=call, startup_name=f"Startup {n}")
        scored(application, manager, 3, 3, 3)
        conflicted = assigned(application, manager)
        review_conflict_declare(review=conflicted, by=conflicted.reviewer, reason="Friend")
        assigned(application, manager)
    client.force_login(manager)

    with django_assert_max_num_queries(14):
        response = client.get(f"/incubator/reviews/calls/{call.pk}/")

    html = response.content.decode()
    assert html.count('data-testid="board-row"') == 8
    assert html.count('data-testid="abstained">1<') == 8
    assert "Unassign" in html


def test_the_ranking_page_stays_in_few_queries(
    client, manager, call, django_assert_max_num_queries
):
    for n in range(8):
        application = application_make(call=call, startup_name=f"Startup {n}")
        scored(application, manager, n % 6, 3, 3)
        scored(application, manager, 2, 2, 2)
    client.force_login(manager)

    with django_assert_max_num_queries(12):
        response = client.get(f"/incubator/reviews/calls/{call.pk}/ranking/")

    assert response.content.decode().count('data-testid="ranking-row"') == 8


def test_unassign_close_and_reopen_on_the_board(client, manager, application, call):
    waiting = assigned(application, manager)
    client.force_login(manager)
    client.post(f"/incubator/reviews/{waiting.pk}/unassign/")
    assert not Review.objects.exists()

    early = client.post(f"/incubator/reviews/calls/{call.pk}/close/", follow=True)
    assert "close the round after that" in early.content.decode()
    IncubatorCall.objects.filter(pk=call.pk).update(closes_at=timezone.now())
    client.post(f"/incubator/reviews/calls/{call.pk}/close/")
    assert IncubatorCall.objects.get(pk=call.pk).review_closed_at is not None
    client.post(f"/incubator/reviews/calls/{call.pk}/reopen/")
    assert IncubatorCall.objects.get(pk=call.pk).review_closed_at is None


def test_the_manager_reads_every_score_and_accepts(
    client, manager, application, call, django_capture_on_commit_callbacks
):
    scored(application, manager, 4, 2, 5)
    client.force_login(manager)

    page = client.get(f"/incubator/reviews/applications/{application.pk}/").content.decode()
    assert page.count('data-testid="review-card"') == 1 and "4 / 5" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/incubator/reviews/applications/{application.pk}/",
            {"decision": "accepted", "message": "Welcome aboard"},
        )

    assert response.status_code == 302
    assert Application.objects.get(pk=application.pk).status == "accepted"
    assert Incubation.objects.filter(application=application).exists()
    board = client.get(f"/incubator/reviews/calls/{call.pk}/").content.decode()
    assert "Acceptance rate: 100.00 %" in board
    again = client.post(
        f"/incubator/reviews/applications/{application.pk}/", {"decision": "declined"}
    )
    assert again.status_code == 400
    assert Application.objects.get(pk=application.pk).status == "accepted"


def test_the_decision_page_is_a_404_for_non_managers(client, manager, application):
    reviewer = scored(application, manager, 3, 3, 3).reviewer
    for user in (reviewer, application.applicant):
        client.force_login(user)
        assert client.get(f"/incubator/reviews/applications/{application.pk}/").status_code == 404
        response = client.post(
            f"/incubator/reviews/applications/{application.pk}/", {"decision": "accepted"}
        )
        assert response.status_code == 404
    assert Application.objects.get(pk=application.pk).status == "submitted"


def test_my_reviews_and_a_review_page_stay_in_few_queries(
    client, manager, call, django_assert_max_num_queries
):
    reviewer = UserFactory()
    other_call = call_make(by=manager, slug="second", cohort=call.cohort)
    reviews = [
        assigned(application_make(call=c, startup_name=f"S{n}-{c.slug}"), manager, reviewer)
        for n in range(5)
        for c in (call, other_call)
    ]
    client.force_login(reviewer)

    with django_assert_max_num_queries(10):
        html = client.get("/incubator/reviews/").content.decode()
    assert html.count('data-testid="my-review"') == 10
    assert html.count('data-testid="review-call"') == 2
    with django_assert_max_num_queries(16):
        page = client.get(f"/incubator/reviews/{reviews[0].pk}/")
    assert page.status_code == 200


def test_the_decision_page_stays_in_few_queries(
    client, manager, application, call, django_assert_max_num_queries
):
    for question in call.questions.all():
        Answer.objects.create(application=application, question=question, text="Yes")
    for _ in range(6):
        scored(application, manager, 3, 4, 5)
    client.force_login(manager)

    with django_assert_max_num_queries(16):
        page = client.get(f"/incubator/reviews/applications/{application.pk}/").content.decode()

    assert page.count('data-testid="review-card"') == 6
    assert "Full time?" in page


@pytest.mark.parametrize("language", ["fr", "de"])
def test_every_review_screen_renders_in_french_and_german(client, call, language):
    manager = UserFactory(roles=["incubator_manager"], preferred_language=language)
    application = application_make(call=call)
    review = scored(
        application, manager, 3, 3, 3, reviewer=UserFactory(preferred_language=language)
    )
    client.force_login(manager)
    for url in (
        "/incubator/reviews/calls/",
        f"/incubator/reviews/calls/{call.pk}/",
        f"/incubator/reviews/calls/{call.pk}/ranking/",
        f"/incubator/reviews/applications/{application.pk}/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert f'<html lang="{language}"' in response.content.decode()
    client.force_login(review.reviewer)
    for url in ("/incubator/reviews/", f"/incubator/reviews/{review.pk}/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert f'<html lang="{language}"' in response.content.decode()
