"""The incubator's API endpoints: thin views over the services and selectors."""

from __future__ import annotations

# --- reviews ---
# ruff: noqa: RUF100  (the section's imports are hoisted when the lanes merge)
from django.core.exceptions import ValidationError as DjangoValidationError  # noqa: E402
from django.http import Http404  # noqa: E402
from django.utils.translation import gettext as _  # noqa: E402
from drf_spectacular.utils import extend_schema  # noqa: E402
from rest_framework import exceptions, status  # noqa: E402
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser  # noqa: E402
from rest_framework.permissions import IsAuthenticated  # noqa: E402
from rest_framework.request import Request  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.views import APIView  # noqa: E402

from fabreck.core.api import Pagination, service_error  # noqa: E402
from fabreck.incubator import selectors as review_selectors  # noqa: E402
from fabreck.incubator import services as review_services  # noqa: E402
from fabreck.incubator.models import Application, IncubatorCall  # noqa: E402
from fabreck.incubator.serializers import (  # noqa: E402
    AssignInputSerializer,
    ConflictInputSerializer,
    DecisionInputSerializer,
    DecisionSerializer,
    ManagerReviewSerializer,
    RankingSerializer,
    ReviewDetailSerializer,
    ReviewSerializer,
    ScoresInputSerializer,
)

REVIEW_PARSERS = [JSONParser, MultiPartParser, FormParser]


def _reviews_call(function, /, **kwargs):
    """Run a service; its refusals become the API's errors (PermissionDenied → 403)."""
    try:
        return function(**kwargs)
    except DjangoValidationError as error:
        raise service_error(error) from error


def _review_detail(review) -> dict:
    criteria = review_selectors.call_criteria(call=review.application.call)
    review = review_selectors.review_of_reviewer(pk=review.pk, user=review.reviewer)
    return ReviewDetailSerializer(review, context={"criteria": criteria}).data


class ReviewListView(APIView):
    """The applications you were asked to review (yours only)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ReviewSerializer(many=True), operation_id="incubator_reviews_list")
    def get(self, request: Request) -> Response:
        paginator = Pagination()
        page = paginator.paginate_queryset(
            review_selectors.reviews_of(user=request.user), request, view=self
        )
        return paginator.get_paginated_response(ReviewSerializer(page, many=True).data)


class ReviewDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ReviewDetailSerializer, operation_id="incubator_reviews_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        """One of your reviews: the application, the criteria and your scores (404 for
        anyone but its reviewer)."""
        review = review_selectors.review_of_reviewer(pk=pk, user=request.user)
        return Response(_review_detail(review))


class ReviewConflictView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = REVIEW_PARSERS

    @extend_schema(
        request=ConflictInputSerializer,
        responses=ReviewDetailSerializer,
        operation_id="incubator_reviews_conflict",
        description="Declare a conflict of interest and abstain, saying why. Final: any "
        "scores you gave are withdrawn.",
    )
    def post(self, request: Request, pk: int) -> Response:
        review = review_selectors.review_of_reviewer(pk=pk, user=request.user)
        data = ConflictInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = _reviews_call(
            review_services.review_conflict_declare,
            review=review,
            by=request.user,
            reason=data.validated_data["reason"],
        )
        return Response(_review_detail(review))


class ReviewScoresView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = REVIEW_PARSERS

    @extend_schema(
        request=ScoresInputSerializer,
        responses=ReviewDetailSerializer,
        operation_id="incubator_reviews_score",
        description="Score every criterion of the call from 0 to its `score_max`, with "
        "comments. Submitting again replaces your scores until the round closes. A score "
        "outside the scale or a missing criterion: 400, nothing stored.",
    )
    def post(self, request: Request, pk: int) -> Response:
        review = review_selectors.review_of_reviewer(pk=pk, user=request.user)
        data = ScoresInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = _reviews_call(
            review_services.review_submit,
            review=review,
            by=request.user,
            scores=[
                review_services.ScoreInput(
                    criterion_id=item["criterion"],
                    value=item["value"],
                    comment=item.get("comment") or "",
                )
                for item in data.validated_data["scores"]
            ],
            comment=data.validated_data.get("comment") or "",
        )
        return Response(_review_detail(review))


class CallRankingView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=RankingSerializer, operation_id="incubator_calls_ranking")
    def get(self, request: Request, pk: int) -> Response:
        """The call's applications ranked by the jury's weighted mean, with the spread
        between reviewers, and the call's acceptance rate. For the incubator's managers
        (and the call's reviewers once the round is closed); 404 for anyone else."""
        call = IncubatorCall.objects.filter(pk=pk).first()
        if call is None or not review_selectors.user_sees_call_ranking(
            user=request.user, call=call
        ):
            raise Http404
        return Response(
            RankingSerializer(
                {
                    "call": call,
                    "acceptance": review_selectors.call_acceptance_rate(call=call),
                    "rows": review_selectors.call_ranking(call=call),
                }
            ).data
        )


class ApplicationDecisionView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = REVIEW_PARSERS

    @extend_schema(
        request=DecisionInputSerializer,
        responses=DecisionSerializer,
        operation_id="incubator_applications_decide",
        description="Accept, waitlist or decline a submitted application (a waitlisted one "
        "may later be accepted or declined). The founders are e-mailed in the application's "
        "language; accepting starts the incubation. Managers only (404 for anyone else).",
    )
    def post(self, request: Request, pk: int) -> Response:
        application = review_selectors.application_for_decision(pk=pk, user=request.user)
        data = DecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _reviews_call(
            review_services.application_decide,
            application=application,
            decision=data.validated_data["decision"],
            message=data.validated_data.get("message") or "",
            by=request.user,
        )
        application = Application.objects.select_related("incubation").get(pk=application.pk)
        return Response(DecisionSerializer(application).data)


class ApplicationReviewsView(APIView):
    """An application's reviews with every score (managers only; 404 for anyone else);
    POST assigns a reviewer."""

    permission_classes = [IsAuthenticated]
    parser_classes = REVIEW_PARSERS

    @extend_schema(
        responses=ManagerReviewSerializer(many=True),
        operation_id="incubator_applications_reviews_list",
    )
    def get(self, request: Request, pk: int) -> Response:
        application = review_selectors.application_for_decision(pk=pk, user=request.user)
        return Response(ManagerReviewSerializer(application.reviews.all(), many=True).data)

    @extend_schema(
        request=AssignInputSerializer,
        responses={201: ManagerReviewSerializer},
        operation_id="incubator_applications_reviews_assign",
        description="Assign a reviewer, given by `email` (any active account) or by user "
        "`reviewer` id, to a submitted application. Refused: a founder of the team, a "
        "reviewer already assigned, a closed round.",
    )
    def post(self, request: Request, pk: int) -> Response:
        application = review_selectors.application_for_decision(pk=pk, user=request.user)
        data = AssignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        email, reviewer_id = data.validated_data.get("email"), data.validated_data.get("reviewer")
        reviewer = None
        if email:
            reviewer = review_selectors.reviewer_by_email(email=email)
        elif reviewer_id:
            reviewer = review_selectors.User.objects.filter(pk=reviewer_id, is_active=True).first()
        if reviewer is None:
            raise exceptions.ValidationError(
                {"email": [_("No active account uses this e-mail address.")]}
                if email or not reviewer_id
                else {"reviewer": [_("No active account has this id.")]}
            )
        review = _reviews_call(
            review_services.review_assign,
            application=application,
            reviewer=reviewer,
            by=request.user,
        )
        return Response(ManagerReviewSerializer(review).data, status=status.HTTP_201_CREATED)
