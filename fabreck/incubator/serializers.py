"""Serializers of the incubator's API."""

# --- kpis ---
from rest_framework import serializers as kpis_serializers  # noqa: E402, RUF100

from fabreck.incubator.models import KpiUpdate, Phase, StartupStatus  # noqa: E402, RUF100


class KpiUpdateSerializer(kpis_serializers.ModelSerializer):
    startup = kpis_serializers.IntegerField(source="incubation_id", read_only=True)
    startup_name = kpis_serializers.CharField(source="incubation.organisation.name", read_only=True)
    cohort = kpis_serializers.SlugField(source="incubation.cohort.slug", read_only=True)
    submitted_by = kpis_serializers.EmailField(source="submitted_by.email", read_only=True)

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


class KpiUpdateInputSerializer(kpis_serializers.Serializer):
    """A quarter's figures. Without year and quarter: the last finished quarter. The
    service refuses negative figures and quarters not ended or before the start."""

    startup = kpis_serializers.IntegerField(help_text="The incubation's id.")
    year = kpis_serializers.IntegerField(required=False)
    quarter = kpis_serializers.IntegerField(required=False)
    headcount = kpis_serializers.IntegerField()
    revenue = kpis_serializers.DecimalField(max_digits=14, decimal_places=2)
    funds_raised = kpis_serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, default=0
    )
    customers = kpis_serializers.IntegerField()
    status = kpis_serializers.ChoiceField(choices=StartupStatus.choices, default="active")
    note = kpis_serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")

    def validate(self, attrs: dict) -> dict:
        if ("year" in attrs) != ("quarter" in attrs):
            raise kpis_serializers.ValidationError(
                {"quarter": [_kpis_gettext("Give both the year and the quarter, or neither.")]}
            )
        return attrs


def _kpis_gettext(message: str) -> str:
    from django.utils.translation import gettext

    return gettext(message)


class KpiLastSerializer(kpis_serializers.Serializer):
    year = kpis_serializers.IntegerField()
    quarter = kpis_serializers.IntegerField()
    headcount = kpis_serializers.IntegerField()
    revenue = kpis_serializers.DecimalField(max_digits=14, decimal_places=2)
    funds_raised = kpis_serializers.DecimalField(max_digits=14, decimal_places=2)
    customers = kpis_serializers.IntegerField()
    status = kpis_serializers.ChoiceField(choices=StartupStatus.choices)


class KpiStartupRowSerializer(kpis_serializers.Serializer):
    startup = kpis_serializers.IntegerField(source="incubation.pk")
    name = kpis_serializers.CharField(source="incubation.organisation.name")
    phase = kpis_serializers.ChoiceField(source="incubation.phase", choices=Phase.choices)
    left_on = kpis_serializers.DateField(source="incubation.left_on", allow_null=True)
    last = KpiLastSerializer(allow_null=True)
    reported = kpis_serializers.IntegerField()
    expected = kpis_serializers.IntegerField()
    missing = kpis_serializers.IntegerField()
    last_quarter_missing = kpis_serializers.BooleanField()


class KpiQuarterTotalsSerializer(kpis_serializers.Serializer):
    year = kpis_serializers.IntegerField()
    quarter = kpis_serializers.IntegerField()
    reports = kpis_serializers.IntegerField()
    headcount = kpis_serializers.IntegerField()
    revenue = kpis_serializers.DecimalField(max_digits=16, decimal_places=2)
    funds_raised = kpis_serializers.DecimalField(max_digits=16, decimal_places=2)
    customers = kpis_serializers.IntegerField()
    headcount_change = kpis_serializers.IntegerField(allow_null=True)
    revenue_change = kpis_serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)


class KpiCallFiguresSerializer(kpis_serializers.Serializer):
    call = kpis_serializers.SlugField(source="call.slug")
    title = kpis_serializers.CharField(source="call.title")
    submitted = kpis_serializers.IntegerField()
    accepted = kpis_serializers.IntegerField()
    waitlisted = kpis_serializers.IntegerField()
    declined = kpis_serializers.IntegerField()
    acceptance_rate = kpis_serializers.DecimalField(
        max_digits=5, decimal_places=1, allow_null=True, help_text="Per cent."
    )


class CohortDashboardSerializer(kpis_serializers.Serializer):
    cohort = kpis_serializers.SlugField(source="cohort.slug")
    name = kpis_serializers.CharField(source="cohort.name")
    last_quarter = kpis_serializers.ListField(child=kpis_serializers.IntegerField())
    missing_last_quarter = kpis_serializers.IntegerField()
    phases = kpis_serializers.DictField(child=kpis_serializers.IntegerField())
    startups = KpiStartupRowSerializer(many=True)
    quarters = KpiQuarterTotalsSerializer(many=True)
    calls = KpiCallFiguresSerializer(many=True)


class KpiSurvivalSerializer(kpis_serializers.Serializer):
    years = kpis_serializers.IntegerField()
    left = kpis_serializers.IntegerField()
    survived = kpis_serializers.IntegerField()
    closed = kpis_serializers.IntegerField()
    unknown = kpis_serializers.IntegerField()
    rate = kpis_serializers.DecimalField(
        max_digits=5, decimal_places=1, allow_null=True, help_text="Per cent of those known."
    )


class KpiCohortSummarySerializer(kpis_serializers.Serializer):
    cohort = kpis_serializers.SlugField(source="cohort.slug")
    name = kpis_serializers.CharField(source="cohort.name")
    startups = kpis_serializers.IntegerField()
    running = kpis_serializers.IntegerField()
    left = kpis_serializers.IntegerField()


class IncubatorOverviewSerializer(kpis_serializers.Serializer):
    phases = kpis_serializers.SerializerMethodField()
    survival = KpiSurvivalSerializer(many=True)
    cohorts = KpiCohortSummarySerializer(many=True)
    calls = KpiCallFiguresSerializer(many=True)

    def get_phases(self, overview) -> dict[str, int]:
        return {value: count for value, _label, count in overview.phases}
