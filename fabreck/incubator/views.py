"""Pages of the incubator: thin views over the services and selectors."""

from __future__ import annotations

# --- reviews ---
# ruff: noqa: RUF100  (the section's imports are hoisted when the lanes merge)
from django.contrib import messages  # noqa: E402
from django.contrib.auth.decorators import login_required  # noqa: E402
from django.core.exceptions import ValidationError  # noqa: E402
from django.http import Http404, HttpRequest, HttpResponse  # noqa: E402
from django.shortcuts import redirect, render  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402
from django.utils.translation import gettext as _  # noqa: E402
from django.views.decorators.http import require_GET, require_http_methods, require_POST  # noqa: E402

from fabreck.incubator import selectors as review_selectors  # noqa: E402
from fabreck.incubator import services as review_services  # noqa: E402
from fabreck.incubator.forms import (  # noqa: E402
    DecisionForm,
    ReviewAssignForm,
    ReviewConflictForm,
    ReviewScoreForm,
)
from fabreck.incubator.models import Review  # noqa: E402


def _reviews_errors_to_form(form, error: ValidationError) -> None:
    """A service's refusal shown on the form: field errors at their field."""
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _application_page_url(pk: int) -> str | None:
    """The calls' page of an application, once that page exists."""
    try:
        return reverse("incubator:application", kwargs={"pk": pk})
    except NoReverseMatch:
        return None


@login_required
@require_GET
def reviews_mine(request: HttpRequest) -> HttpResponse:
    """ "My reviews": the applications one was asked to review, per call."""
    return render(
        request,
        "incubator/reviews_mine.html",
        {"reviews": list(review_selectors.reviews_of(user=request.user))},
    )


def _review_page(request, review, *, conflict_form=None, score_form=None, status=200):
    call = review.application.call
    criteria = review_selectors.call_criteria(call=call)
    score_form = score_form or ReviewScoreForm(
        criteria=criteria, score_max=call.score_max, review=review
    )
    scores = {s.criterion_id: s for s in review.scores.all()}
    writable = (
        call.review_closed_at is None
        and review.application.status == "submitted"
        and review.status != Review.Status.CONFLICT
    )
    return render(
        request,
        "incubator/reviews_detail.html",
        {
            "review": review,
            "application": review.application,
            "call": call,
            "criteria": criteria,
            "criteria_scores": [(c, scores.get(c.pk)) for c in criteria],
            "conflict_form": conflict_form or ReviewConflictForm(),
            "score_form": score_form,
            "writable": writable,
            # A refusal whose form is not on the page any more (the reviewer abstained).
            "refusals": []
            if writable
            else [
                *(conflict_form.non_field_errors() if conflict_form else []),
                *(score_form.non_field_errors() if score_form.is_bound else []),
            ],
            "application_url": _application_page_url(review.application_id),
        },
        status=status,
    )


@login_required
@require_GET
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One assignment: the application, then a conflict declaration or the scores."""
    review = review_selectors.review_of_reviewer(pk=pk, user=request.user)
    return _review_page(request, review)


@login_required
@require_POST
def review_conflict(request: HttpRequest, pk: int) -> HttpResponse:
    review = review_selectors.review_of_reviewer(pk=pk, user=request.user)
    form = ReviewConflictForm(request.POST)
    if form.is_valid():
        try:
            review_services.review_conflict_declare(
                review=review, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _reviews_errors_to_form(form, error)
        else:
            messages.success(
                request, _("You abstain on this application. Thank you for saying so.")
            )
            return redirect("incubator:review", pk=review.pk)
    return _review_page(request, review, conflict_form=form, status=400)


@login_required
@require_POST
def review_scores(request: HttpRequest, pk: int) -> HttpResponse:
    review = review_selectors.review_of_reviewer(pk=pk, user=request.user)
    call = review.application.call
    form = ReviewScoreForm(
        request.POST,
        criteria=review_selectors.call_criteria(call=call),
        score_max=call.score_max,
        review=review,
    )
    if form.is_valid():
        try:
            review_services.review_submit(
                review=review,
                by=request.user,
                scores=form.score_inputs(),
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            _reviews_errors_to_form(form, error)
        else:
            messages.success(request, _("Your scores are saved."))
            return redirect("incubator:review", pk=review.pk)
    return _review_page(request, review, score_form=form, status=400)


def _manager_only(request) -> None:
    if not review_selectors.user_manages_incubator(user=request.user):
        raise Http404


@login_required
@require_GET
def review_calls(request: HttpRequest) -> HttpResponse:
    """The managers' list of calls, each with its jury's board."""
    _manager_only(request)
    calls = list(review_selectors.calls_for_review(user=request.user))
    rates = review_selectors.calls_acceptance_rates(call_ids=[c.pk for c in calls])
    return render(
        request,
        "incubator/reviews_calls.html",
        {"rows": [(call, rates[call.pk]) for call in calls]},
    )


def _board_page(request, call, *, assign_form=None, status=200):
    return render(
        request,
        "incubator/reviews_board.html",
        {
            "call": call,
            "rows": review_selectors.review_board(call=call),
            "rate": review_selectors.call_acceptance_rate(call=call),
            "assign_form": assign_form or ReviewAssignForm(call=call),
        },
        status=status,
    )


@login_required
@require_GET
def review_board(request: HttpRequest, call_pk: int) -> HttpResponse:
    """A call's review board: assign reviewers, follow their progress, close the round."""
    call = review_selectors.review_call_for_manager(pk=call_pk, user=request.user)
    return _board_page(request, call)


@login_required
@require_POST
def review_assign(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = review_selectors.review_call_for_manager(pk=call_pk, user=request.user)
    form = ReviewAssignForm(request.POST, call=call)
    if form.is_valid():
        reviewer = form.cleaned_data["reviewer"]
        application = form.cleaned_data.get("application")
        try:
            if application is not None:
                review_services.review_assign(
                    application=application, reviewer=reviewer, by=request.user
                )
                count = 1
            else:
                count = len(
                    review_services.reviews_assign_all(
                        call=call, reviewer=reviewer, by=request.user
                    )
                )
        except ValidationError as error:
            _reviews_errors_to_form(form, error)
        else:
            messages.success(
                request,
                _("%(name)s now reviews %(count)s more application(s).")
                % {"name": reviewer.get_full_name() or reviewer.email, "count": count},
            )
            return redirect("incubator:review-board", call_pk=call.pk)
    return _board_page(request, call, assign_form=form, status=400)


def _refused_to_board(request, call, error: ValidationError) -> HttpResponse:
    for message in error.messages:
        messages.error(request, message)
    return redirect("incubator:review-board", call_pk=call.pk)


@login_required
@require_POST
def review_unassign(request: HttpRequest, pk: int) -> HttpResponse:
    _manager_only(request)
    review = Review.objects.select_related("application__call").filter(pk=pk).first()
    if review is None:
        raise Http404
    call = review.application.call
    try:
        review_services.review_unassign(review=review, by=request.user)
    except ValidationError as error:
        return _refused_to_board(request, call, error)
    messages.success(request, _("The assignment is taken back."))
    return redirect("incubator:review-board", call_pk=call.pk)


@login_required
@require_POST
def review_round(request: HttpRequest, call_pk: int, action: str) -> HttpResponse:
    """Close or reopen the call's review round."""
    call = review_selectors.review_call_for_manager(pk=call_pk, user=request.user)
    service = (
        review_services.review_round_close
        if action == "close"
        else review_services.review_round_reopen
    )
    try:
        service(call=call, by=request.user)
    except ValidationError as error:
        return _refused_to_board(request, call, error)
    messages.success(
        request,
        _("The review round is closed: the reviewers now see the ranking.")
        if action == "close"
        else _("The review round is open again."),
    )
    return redirect("incubator:review-board", call_pk=call.pk)


@login_required
@require_GET
def review_ranking(request: HttpRequest, call_pk: int) -> HttpResponse:
    """The weighted ranking: for managers, and for the call's reviewers once the round is
    closed."""
    call = (
        review_selectors.IncubatorCall.objects.select_related("cohort").filter(pk=call_pk).first()
    )
    if call is None or not review_selectors.user_sees_call_ranking(user=request.user, call=call):
        raise Http404
    return render(
        request,
        "incubator/reviews_ranking.html",
        {
            "call": call,
            "rows": review_selectors.call_ranking(call=call),
            "rate": review_selectors.call_acceptance_rate(call=call),
            "manages": review_selectors.user_manages_incubator(user=request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def review_decision(request: HttpRequest, pk: int) -> HttpResponse:
    """An application's reviews with every score (managers only) and the decision."""
    application = review_selectors.application_for_decision(pk=pk, user=request.user)
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            review_services.application_decide(
                application=application,
                decision=form.cleaned_data["decision"],
                message=form.cleaned_data["message"],
                by=request.user,
            )
        except ValidationError as error:
            _reviews_errors_to_form(form, error)
        else:
            messages.success(
                request, _("The decision is recorded and the founders are told by e-mail.")
            )
            return redirect("incubator:review-board", call_pk=application.call_id)
    call = application.call
    return render(
        request,
        "incubator/reviews_application.html",
        {
            "application": application,
            "call": call,
            "criteria": review_selectors.call_criteria(call=call),
            "reviews": list(application.reviews.all()),
            "form": form,
            "decidable": application.status in ("submitted", "waitlisted"),
            "application_url": _application_page_url(application.pk),
        },
        status=400 if form.is_bound else 200,
    )
