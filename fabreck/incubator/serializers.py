"""Serializers of the incubator's API."""

# --- startups ---
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from fabreck.cluster.models import Commune, Competence, Organisation, Sector
from fabreck.incubator.models import (
    WORKING_PHASES,
    Answer,
    Application,
    ApplicationStatus,
    ChecklistItem,
    Cohort,
    Criterion,
    Founder,
    HostingKind,
    Incubation,
    IncubatorCall,
    KpiUpdate,
    MentorSession,
    Milestone,
    Phase,
    PhaseChange,
    Question,
    QuestionKind,
    Review,
    ReviewStatus,
    Score,
    StartupStage,
    StartupStatus,
)


class StartupsRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class StartupsMilestoneSerializer(serializers.ModelSerializer):
    phase = serializers.ChoiceField(choices=Phase.choices)
    overdue = serializers.SerializerMethodField()
    evidence_file_url = serializers.SerializerMethodField()

    class Meta:
        model = Milestone
        fields = [
            "id",
            "phase",
            "title",
            "description",
            "due_on",
            "done_on",
            "overdue",
            "evidence",
            "evidence_file_url",
        ]

    def get_overdue(self, milestone: Milestone) -> bool:
        """Not done and its due date has passed."""
        return milestone.done_on is None and milestone.due_on < timezone.localdate()

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_evidence_file_url(self, milestone: Milestone) -> str | None:
        if not milestone.evidence_file:
            return None
        return settings.SITE_URL + reverse("api-incubator-milestone-file", args=[milestone.pk])


class StartupsChecklistItemSerializer(serializers.ModelSerializer):
    phase = serializers.ChoiceField(choices=Phase.choices)
    done = serializers.SerializerMethodField()

    class Meta:
        model = ChecklistItem
        fields = ["id", "phase", "label", "done", "done_at"]

    def get_done(self, item: ChecklistItem) -> bool:
        return item.done_at is not None


class StartupsPhaseChangeSerializer(serializers.ModelSerializer):
    from_phase = serializers.CharField()
    to_phase = serializers.ChoiceField(choices=Phase.choices)

    class Meta:
        model = PhaseChange
        fields = ["from_phase", "to_phase", "on", "note"]


class StartupsListSerializer(serializers.ModelSerializer):
    organisation = StartupsRefSerializer()
    cohort = StartupsRefSerializer()
    phase = serializers.ChoiceField(choices=Phase.choices)
    phase_label = serializers.CharField(source="get_phase_display")
    hosting = serializers.ChoiceField(choices=HostingKind.choices)
    hosting_site = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Incubation
        fields = [
            "id",
            "organisation",
            "cohort",
            "started_on",
            "phase",
            "phase_label",
            "phase_since",
            "left_on",
            "hosting",
            "hosting_site",
            "hosting_monthly_fee",
        ]


class StartupsDetailSerializer(StartupsListSerializer):
    exit_note = serializers.CharField()
    needed_competences = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    milestones = StartupsMilestoneSerializer(many=True)
    checklist = StartupsChecklistItemSerializer(many=True)
    phase_changes = StartupsPhaseChangeSerializer(many=True)

    class Meta(StartupsListSerializer.Meta):
        fields = [
            *StartupsListSerializer.Meta.fields,
            "exit_note",
            "needed_competences",
            "milestones",
            "checklist",
            "phase_changes",
        ]


class StartupsPhaseMoveSerializer(serializers.Serializer):
    to_phase = serializers.ChoiceField(choices=Phase.choices)
    on = serializers.DateField(required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class StartupsMilestoneInputSerializer(serializers.Serializer):
    phase = serializers.ChoiceField(choices=[p for p in Phase.choices if p[0] in WORKING_PHASES])
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    due_on = serializers.DateField()


class StartupsMilestoneDoneSerializer(serializers.Serializer):
    evidence = serializers.CharField(required=False, allow_blank=True, default="")
    evidence_file = serializers.FileField(required=False, allow_null=True, default=None)
    done_on = serializers.DateField(required=False, allow_null=True, default=None)


class StartupsMentorSessionSerializer(serializers.ModelSerializer):
    mentor = serializers.SerializerMethodField()
    logged_by = serializers.SerializerMethodField()

    class Meta:
        model = MentorSession
        fields = ["id", "mentor", "held_on", "hours", "topics", "next_steps", "logged_by"]

    @extend_schema_field(
        serializers.DictField(child=serializers.CharField(), help_text="id and name")
    )
    def get_mentor(self, session: MentorSession) -> dict:
        user = session.mentor.user
        return {"id": session.mentor_id, "name": user.get_full_name() or user.email}

    def get_logged_by(self, session: MentorSession) -> str:
        return session.logged_by.get_full_name() or session.logged_by.email


class StartupsMentorSessionInputSerializer(serializers.Serializer):
    mentor = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="A manager names the mentor"
    )
    held_on = serializers.DateField()
    hours = serializers.DecimalField(max_digits=5, decimal_places=2)
    topics = serializers.CharField()
    next_steps = serializers.CharField(required=False, allow_blank=True, default="")


# --- calls ---


class CallsQuestionSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(required=False, help_text="Give it to keep a question.")
    kind = serializers.ChoiceField(choices=QuestionKind.choices)
    label = serializers.CharField(read_only=True)
    options = serializers.ListField(
        child=serializers.CharField(max_length=300),
        required=False,
        help_text="For a choice question: its options.",
    )
    required = serializers.BooleanField(default=True)

    class Meta:
        model = Question
        fields = [
            "id",
            "position",
            "kind",
            "label",
            "label_en",
            "label_fr",
            "label_de",
            "help_text",
            "options",
            "required",
        ]
        read_only_fields = ["position"]


class CallsCriterionSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(required=False, help_text="Give it to keep a criterion.")
    label = serializers.CharField(read_only=True)

    class Meta:
        model = Criterion
        fields = [
            "id",
            "position",
            "label",
            "label_en",
            "label_fr",
            "label_de",
            "description",
            "weight",
        ]
        read_only_fields = ["position"]


class CallsCallSerializer(serializers.ModelSerializer):
    cohort = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    cohort_name = serializers.CharField(source="cohort.name", read_only=True)
    title = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    eligibility = serializers.CharField(read_only=True)
    is_open = serializers.SerializerMethodField()
    questions = CallsQuestionSerializer(many=True, read_only=True)
    criteria = CallsCriterionSerializer(many=True, read_only=True)

    class Meta:
        model = IncubatorCall
        fields = [
            "slug",
            "cohort",
            "cohort_name",
            "title",
            "title_en",
            "title_fr",
            "title_de",
            "description",
            "description_en",
            "description_fr",
            "description_de",
            "eligibility",
            "eligibility_en",
            "eligibility_fr",
            "eligibility_de",
            "opens_at",
            "closes_at",
            "score_max",
            "published",
            "is_open",
            "questions",
            "criteria",
        ]

    def get_is_open(self, call: IncubatorCall) -> bool:
        return call.is_open_at(self.context["now"])


class CallsCallWriteSerializer(serializers.Serializer):
    cohort = serializers.SlugRelatedField(slug_field="slug", queryset=Cohort.objects.all())
    slug = serializers.SlugField(max_length=80)
    title_en = serializers.CharField(max_length=200)
    title_fr = serializers.CharField(max_length=200, required=False, allow_blank=True)
    title_de = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description_en = serializers.CharField(required=False, allow_blank=True)
    description_fr = serializers.CharField(required=False, allow_blank=True)
    description_de = serializers.CharField(required=False, allow_blank=True)
    eligibility_en = serializers.CharField(required=False, allow_blank=True)
    eligibility_fr = serializers.CharField(required=False, allow_blank=True)
    eligibility_de = serializers.CharField(required=False, allow_blank=True)
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    score_max = serializers.IntegerField(min_value=1, max_value=100, required=False)
    published = serializers.BooleanField(required=False)
    questions = CallsQuestionSerializer(
        many=True, required=False, help_text="The full list, in order; leave out to keep it."
    )
    criteria = CallsCriterionSerializer(
        many=True, required=False, help_text="The full list, in order; leave out to keep it."
    )


class CallsFounderSerializer(serializers.ModelSerializer):
    has_account = serializers.SerializerMethodField()

    class Meta:
        model = Founder
        fields = ["name", "email", "role", "has_account"]

    def get_has_account(self, founder: Founder) -> bool:
        return founder.user_id is not None


class CallsFounderInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    email = serializers.EmailField()
    role = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")


class CallsAnswerSerializer(serializers.ModelSerializer):
    question = serializers.PrimaryKeyRelatedField(read_only=True)
    file = serializers.SerializerMethodField()

    class Meta:
        model = Answer
        fields = ["question", "text", "number", "file"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_file(self, answer: Answer) -> str | None:
        if not answer.file:
            return None
        return reverse("incubator:application-answer-file", args=[answer.application_id, answer.pk])


class CallsApplicationListSerializer(serializers.ModelSerializer):
    call = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    sector = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    applicant = serializers.EmailField(source="applicant.email", read_only=True)
    status = serializers.ChoiceField(choices=ApplicationStatus.choices, read_only=True)
    stage = serializers.ChoiceField(choices=StartupStage.choices, read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "call",
            "startup_name",
            "applicant",
            "sector",
            "stage",
            "status",
            "submitted_at",
            "created_at",
        ]


class CallsApplicationSerializer(CallsApplicationListSerializer):
    commune = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    needed_competences = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    founders = CallsFounderSerializer(many=True, read_only=True)
    answers = CallsAnswerSerializer(many=True, read_only=True)
    pitch_deck = serializers.SerializerMethodField()

    class Meta(CallsApplicationListSerializer.Meta):
        fields = [
            *CallsApplicationListSerializer.Meta.fields,
            "commune",
            "organisation",
            "idea",
            "market",
            "needs",
            "needed_competences",
            "founders",
            "answers",
            "pitch_deck",
            "language",
            "decision_message",
            "updated_at",
        ]

    @extend_schema_field(OpenApiTypes.URI)
    def get_pitch_deck(self, application: Application) -> str | None:
        if not application.pitch_deck:
            return None
        return reverse("incubator:application-pitch-deck", args=[application.pk])


class CallsApplicationWriteSerializer(serializers.Serializer):
    """A draft: on PATCH, the fields left out keep their value; answers not listed keep
    theirs. Files (the pitch deck, answers to file questions as `answer_<question id>`)
    need multipart."""

    call = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=IncubatorCall.objects.all(),
        required=False,
        help_text="The call's slug (on creation).",
    )
    organisation = serializers.SlugRelatedField(
        slug_field="slug", queryset=Organisation.objects.all(), required=False, allow_null=True
    )
    startup_name = serializers.CharField(max_length=200, required=False)
    sector = serializers.SlugRelatedField(
        slug_field="slug", queryset=Sector.objects.all(), required=False
    )
    commune = serializers.SlugRelatedField(
        slug_field="slug", queryset=Commune.objects.all(), required=False, allow_null=True
    )
    stage = serializers.ChoiceField(choices=StartupStage.choices, required=False)
    idea = serializers.CharField(max_length=10000, required=False, allow_blank=True)
    market = serializers.CharField(max_length=10000, required=False, allow_blank=True)
    needs = serializers.CharField(max_length=10000, required=False, allow_blank=True)
    needed_competences = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Competence.objects.filter(is_active=True),
        many=True,
        required=False,
    )
    founders = CallsFounderInputSerializer(many=True, required=False)
    answers = serializers.DictField(
        child=serializers.CharField(allow_blank=True, allow_null=True, max_length=10000),
        required=False,
        help_text="Question id → answer (text, a number, or one of the options); null clears.",
    )
    pitch_deck = serializers.FileField(required=False)


# --- reviews ---


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


# --- kpis ---


class KpiUpdateSerializer(serializers.ModelSerializer):
    startup = serializers.IntegerField(source="incubation_id", read_only=True)
    startup_name = serializers.CharField(source="incubation.organisation.name", read_only=True)
    cohort = serializers.SlugField(source="incubation.cohort.slug", read_only=True)
    submitted_by = serializers.EmailField(source="submitted_by.email", read_only=True)

    class Meta:
        model = KpiUpdate
        fields = [
            "id",
            "startup",
            "startup_name",
            "cohort",
            "year",
            "quarter",
            "headcount",
            "revenue",
            "funds_raised",
            "customers",
            "status",
            "note",
            "submitted_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class KpiUpdateInputSerializer(serializers.Serializer):
    """A quarter's figures. Without year and quarter: the last finished quarter. The
    service refuses negative figures and quarters not ended or before the start."""

    startup = serializers.IntegerField(help_text="The incubation's id.")
    year = serializers.IntegerField(required=False)
    quarter = serializers.IntegerField(required=False)
    headcount = serializers.IntegerField()
    revenue = serializers.DecimalField(max_digits=14, decimal_places=2)
    funds_raised = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, default=0
    )
    customers = serializers.IntegerField()
    status = serializers.ChoiceField(choices=StartupStatus.choices, default="active")
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")

    def validate(self, attrs: dict) -> dict:
        if ("year" in attrs) != ("quarter" in attrs):
            raise serializers.ValidationError(
                {"quarter": [_kpis_gettext("Give both the year and the quarter, or neither.")]}
            )
        return attrs


def _kpis_gettext(message: str) -> str:
    from django.utils.translation import gettext

    return gettext(message)


class KpiLastSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    quarter = serializers.IntegerField()
    headcount = serializers.IntegerField()
    revenue = serializers.DecimalField(max_digits=14, decimal_places=2)
    funds_raised = serializers.DecimalField(max_digits=14, decimal_places=2)
    customers = serializers.IntegerField()
    status = serializers.ChoiceField(choices=StartupStatus.choices)


class KpiStartupRowSerializer(serializers.Serializer):
    startup = serializers.IntegerField(source="incubation.pk")
    name = serializers.CharField(source="incubation.organisation.name")
    phase = serializers.ChoiceField(source="incubation.phase", choices=Phase.choices)
    left_on = serializers.DateField(source="incubation.left_on", allow_null=True)
    last = KpiLastSerializer(allow_null=True)
    reported = serializers.IntegerField()
    expected = serializers.IntegerField()
    missing = serializers.IntegerField()
    last_quarter_missing = serializers.BooleanField()


class KpiQuarterTotalsSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    quarter = serializers.IntegerField()
    reports = serializers.IntegerField()
    headcount = serializers.IntegerField()
    revenue = serializers.DecimalField(max_digits=16, decimal_places=2)
    funds_raised = serializers.DecimalField(max_digits=16, decimal_places=2)
    customers = serializers.IntegerField()
    headcount_change = serializers.IntegerField(allow_null=True)
    revenue_change = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)


class KpiCallFiguresSerializer(serializers.Serializer):
    call = serializers.SlugField(source="call.slug")
    title = serializers.CharField(source="call.title")
    submitted = serializers.IntegerField()
    accepted = serializers.IntegerField()
    waitlisted = serializers.IntegerField()
    declined = serializers.IntegerField()
    acceptance_rate = serializers.DecimalField(
        max_digits=5, decimal_places=2, allow_null=True, help_text="Per cent."
    )


class CohortDashboardSerializer(serializers.Serializer):
    cohort = serializers.SlugField(source="cohort.slug")
    name = serializers.CharField(source="cohort.name")
    last_quarter = serializers.ListField(child=serializers.IntegerField())
    missing_last_quarter = serializers.IntegerField()
    phases = serializers.DictField(child=serializers.IntegerField())
    startups = KpiStartupRowSerializer(many=True)
    quarters = KpiQuarterTotalsSerializer(many=True)
    calls = KpiCallFiguresSerializer(many=True)


class KpiSurvivalSerializer(serializers.Serializer):
    years = serializers.IntegerField()
    left = serializers.IntegerField()
    survived = serializers.IntegerField()
    closed = serializers.IntegerField()
    unknown = serializers.IntegerField()
    rate = serializers.DecimalField(
        max_digits=5, decimal_places=1, allow_null=True, help_text="Per cent of those known."
    )


class KpiCohortSummarySerializer(serializers.Serializer):
    cohort = serializers.SlugField(source="cohort.slug")
    name = serializers.CharField(source="cohort.name")
    startups = serializers.IntegerField()
    running = serializers.IntegerField()
    left = serializers.IntegerField()


class IncubatorOverviewSerializer(serializers.Serializer):
    phases = serializers.SerializerMethodField()
    survival = KpiSurvivalSerializer(many=True)
    cohorts = KpiCohortSummarySerializer(many=True)
    calls = KpiCallFiguresSerializer(many=True)

    def get_phases(self, overview) -> dict[str, int]:
        return {value: count for value, _label, count in overview.phases}
