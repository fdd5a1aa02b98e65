"""Serializers of the incubator's API."""

# --- startups ---
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from fabreck.incubator.models import (
    WORKING_PHASES,
    ChecklistItem,
    HostingKind,
    Incubation,
    MentorSession,
    Milestone,
    Phase,
    PhaseChange,
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
