"""Serializers of the incubator's API."""

# --- reviews ---
# ruff: noqa: RUF100  (the section's imports are hoisted when the lanes merge)
from rest_framework import serializers  # noqa: E402

from fabreck.incubator.models import (  # noqa: E402
    ApplicationStatus,
    Criterion,
    Review,
    ReviewStatus,
    Score,
    StartupStage,
)


class ReviewCallSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    score_max = serializers.IntegerField()
    review_closed_at = serializers.DateTimeField(allow_null=True)


class ReviewApplicationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    startup_name = serializers.CharField()
    sector = serializers.CharField(source="sector.slug")
    stage = serializers.ChoiceField(choices=StartupStage.choices)
    status = serializers.ChoiceField(choices=ApplicationStatus.choices)
    submitted_at = serializers.DateTimeField(allow_null=True)


class ReviewApplicationDetailSerializer(ReviewApplicationSerializer):
    idea = serializers.CharField()
    market = serializers.CharField()
    needs = serializers.CharField()
    founders = serializers.SerializerMethodField()

    def get_founders(self, application) -> list[str]:
        return [founder.name for founder in application.founders.all()]


class ReviewCriterionSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)

    class Meta:
        model = Criterion
        fields = ["id", "label", "description", "weight"]


class ScoreSerializer(serializers.ModelSerializer):
    class Meta:
        model = Score
        fields = ["criterion", "value", "comment"]


class ReviewSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=ReviewStatus.choices)
    call = ReviewCallSerializer(source="application.call")
    application = ReviewApplicationSerializer()

    class Meta:
        model = Review
        fields = [
            "id",
            "status",
            "conflict_reason",
            "comment",
            "submitted_at",
            "call",
            "application",
        ]


class ReviewDetailSerializer(ReviewSerializer):
    application = ReviewApplicationDetailSerializer()
    criteria = serializers.SerializerMethodField()
    scores = ScoreSerializer(many=True)

    class Meta(ReviewSerializer.Meta):
        fields = [*ReviewSerializer.Meta.fields, "criteria", "scores"]

    def get_criteria(self, review) -> list[dict]:
        return ReviewCriterionSerializer(self.context["criteria"], many=True).data


class ConflictInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, allow_blank=True)


class ScoreInputSerializer(serializers.Serializer):
    criterion = serializers.IntegerField()
    value = serializers.IntegerField(allow_null=True)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ScoresInputSerializer(serializers.Serializer):
    scores = ScoreInputSerializer(many=True)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class RankingRowSerializer(serializers.Serializer):
    application = serializers.IntegerField(source="application.pk")
    startup_name = serializers.CharField(source="application.startup_name")
    status = serializers.ChoiceField(source="application.status", choices=ApplicationStatus.choices)
    rank = serializers.IntegerField(allow_null=True)
    mean = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    percent = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    scored = serializers.IntegerField()
    abstained = serializers.IntegerField()
    assigned = serializers.IntegerField()
    spread = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    stdev = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    totals = serializers.ListField(child=serializers.DecimalField(max_digits=8, decimal_places=2))


class AcceptanceRateSerializer(serializers.Serializer):
    submitted = serializers.IntegerField()
    accepted = serializers.IntegerField()
    waitlisted = serializers.IntegerField()
    declined = serializers.IntegerField()
    rate = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)


class RankingSerializer(serializers.Serializer):
    call = ReviewCallSerializer()
    acceptance = AcceptanceRateSerializer()
    rows = RankingRowSerializer(many=True)


class DecisionInputSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=[
            c for c in ApplicationStatus.choices if c[0] in ("accepted", "waitlisted", "declined")
        ]
    )
    message = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class DecisionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ApplicationStatus.choices)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_message = serializers.CharField()
    incubation = serializers.SerializerMethodField()

    def get_incubation(self, application) -> int | None:
        """The startup's incubation, once accepted."""
        incubation = getattr(application, "incubation", None)
        return incubation.pk if incubation is not None else None


class ReviewerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()
    email = serializers.EmailField()

    def get_name(self, user) -> str:
        return user.get_full_name() or user.email


class ManagerReviewSerializer(serializers.ModelSerializer):
    """A review as the manager sees it: every score, whatever the round."""

    status = serializers.ChoiceField(choices=ReviewStatus.choices)
    reviewer = ReviewerRefSerializer()
    scores = ScoreSerializer(many=True)

    class Meta:
        model = Review
        fields = [
            "id",
            "reviewer",
            "status",
            "conflict_reason",
            "comment",
            "submitted_at",
            "scores",
        ]


class AssignInputSerializer(serializers.Serializer):
    email = serializers.EmailField(required=False)
    reviewer = serializers.IntegerField(
        required=False, help_text="A user's id, instead of an e-mail."
    )
