"""Serializers of the events API. Sections are appended per capability."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

# --- attendance (evkids) ---------------------------------------------------------------------
from fabreck.events.models import Attendance, Registration


class AttendanceChildSerializer(serializers.Serializer):
    """What the staff of the session need to know about a child (never public)."""

    first_name = serializers.CharField()
    photo_consent = serializers.BooleanField()
    pickup_persons = serializers.CharField()
    notes = serializers.CharField()


class AttendanceSchoolSerializer(serializers.Serializer):
    name = serializers.CharField()
    commune = serializers.CharField(source="commune.name", default=None, allow_null=True)


class AttendanceAdultSerializer(serializers.Serializer):
    name = serializers.CharField(source="display_name")
    email = serializers.EmailField()


class AttendanceRowSerializer(serializers.ModelSerializer):
    child = AttendanceChildSerializer(read_only=True, allow_null=True)
    school = AttendanceSchoolSerializer(read_only=True, allow_null=True)
    attendee = AttendanceAdultSerializer(read_only=True, allow_null=True)
    label = serializers.CharField(source="attendee_label", read_only=True)

    class Meta:
        model = Registration
        fields = [
            "id", "kind", "status", "label", "seats", "child", "child_age", "school", "grade",
            "pupils", "accompanying_adults", "attendee", "attendance", "checked_in_at", "passed",
        ]  # fmt: skip
        read_only_fields = fields


class AttendanceSessionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    event = serializers.CharField(source="event.title")
    event_kind = serializers.CharField(source="event.kind")
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    cancelled = serializers.SerializerMethodField()

    def get_cancelled(self, session) -> bool:
        return session.status == "cancelled"


class AttendanceSheetSerializer(serializers.Serializer):
    session = AttendanceSessionSerializer()
    present = serializers.IntegerField(help_text=_("Seats (people) checked in."))
    no_show = serializers.IntegerField()
    expected = serializers.IntegerField(help_text=_("Seats of confirmed registrations."))
    registrations = AttendanceRowSerializer(many=True)


class AttendanceMarkSerializer(serializers.Serializer):
    attendance = serializers.ChoiceField(
        choices=Attendance.choices,
        help_text=_("present, no_show, or unknown to undo a mistake."),
    )


class TrainingResultSerializer(serializers.Serializer):
    passed = serializers.BooleanField()
    evidence = serializers.CharField(required=False, allow_blank=True, max_length=500)


class NoShowsMarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField()
