"""Serializers of the events API. Sections are appended per capability."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from fabreck.core.api import FieldsBuiltOnce
from fabreck.events.models import (
    Attendance,
    Audience,
    Event,
    EventKind,
    EventStatus,
    Registration,
    RegistrationKind,
    RegistrationStatus,
    Session,
    TicketCategory,
)
from fabreck.events.selectors import waitlist_position as _waitlist_position
from fabreck.fablab.models import Course, Site

# --- attendance (evkids) ---------------------------------------------------------------------


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


"""Serializers of the events API. Sections are appended per capability."""


# --- events, tickets and sessions (evcat) -------------------------------------------------


class TicketCategorySerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    is_free = serializers.BooleanField(read_only=True)

    class Meta:
        model = TicketCategory
        fields = ["id", "name", "name_en", "name_fr", "name_de", "price", "is_free"]


class SessionSerializer(serializers.ModelSerializer):
    event = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    seats_left = serializers.IntegerField(read_only=True)
    is_full = serializers.BooleanField(read_only=True)
    state = serializers.SerializerMethodField(
        help_text="open, full, not_open (registration opens later), closed, over, cancelled"
    )

    class Meta:
        model = Session
        fields = [
            "id", "event", "starts_at", "ends_at", "capacity", "seats_taken", "seats_left",
            "is_full", "registration_opens_at", "registration_closes_at", "status",
            "cancelled_reason", "state",
        ]  # fmt: skip

    def get_state(self, session: Session) -> str:
        from fabreck.events.selectors import session_state

        return getattr(session, "state", None) or session_state(session, now=timezone.now())


class EventSerializer(serializers.ModelSerializer):
    title = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    site = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    course = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    picture = serializers.SerializerMethodField()
    next_start = serializers.DateTimeField(read_only=True, allow_null=True, default=None)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Event
        fields = [
            "slug", "kind", "kind_label", "status", "title", "title_en", "title_fr", "title_de",
            "description", "site", "venue", "audience", "age_min", "age_max", "picture",
            "course", "accepts_school_classes", "members_only", "max_per_registrant",
            "offer_hours", "next_start", "url",
        ]  # fmt: skip

    def get_picture(self, event: Event) -> str | None:
        return event.picture.url if event.picture else None

    def get_url(self, event: Event) -> str:
        return reverse("events:detail", args=[event.slug])


class EventDetailSerializer(EventSerializer):
    description_en = serializers.CharField(read_only=True)
    description_fr = serializers.CharField(read_only=True)
    description_de = serializers.CharField(read_only=True)
    ticket_categories = TicketCategorySerializer(many=True, read_only=True)
    sessions = serializers.SerializerMethodField()

    class Meta(EventSerializer.Meta):
        fields = [
            *EventSerializer.Meta.fields,
            "description_en",
            "description_fr",
            "description_de",
            "ticket_categories",
            "sessions",
        ]

    def get_sessions(self, event: Event) -> list[dict]:
        """The sessions still to come (cancelled ones too), soonest first."""
        return SessionSerializer(self.context.get("sessions", []), many=True).data


class TicketCategoryInputSerializer(serializers.Serializer):
    name_en = serializers.CharField(max_length=80)
    name_fr = serializers.CharField(max_length=80, required=False, default="", allow_blank=True)
    name_de = serializers.CharField(max_length=80, required=False, default="", allow_blank=True)
    price = serializers.DecimalField(max_digits=7, decimal_places=2, min_value=0, default=0)


class EventCreateSerializer(serializers.Serializer):
    slug = serializers.SlugField(max_length=120, required=False, default="")
    kind = serializers.ChoiceField(choices=EventKind.choices)
    status = serializers.ChoiceField(
        choices=EventStatus.choices, default=EventStatus.DRAFT, help_text="draft or published"
    )
    title_en = serializers.CharField(max_length=160)
    title_fr = serializers.CharField(max_length=160, required=False, default="", allow_blank=True)
    title_de = serializers.CharField(max_length=160, required=False, default="", allow_blank=True)
    description_en = serializers.CharField(required=False, default="", allow_blank=True)
    description_fr = serializers.CharField(required=False, default="", allow_blank=True)
    description_de = serializers.CharField(required=False, default="", allow_blank=True)
    site = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Site.objects.all(),
        required=False,
        allow_null=True,
        default=None,
    )
    venue = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    audience = serializers.ChoiceField(choices=Audience.choices, default=Audience.EVERYONE)
    age_min = serializers.IntegerField(min_value=0, max_value=120, required=False, allow_null=True)
    age_max = serializers.IntegerField(min_value=0, max_value=120, required=False, allow_null=True)
    course = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Course.objects.all(),
        required=False,
        allow_null=True,
        default=None,
    )
    accepts_school_classes = serializers.BooleanField(default=False)
    members_only = serializers.BooleanField(default=False)
    max_per_registrant = serializers.IntegerField(min_value=1, max_value=50, default=4)
    offer_hours = serializers.IntegerField(min_value=1, max_value=336, default=24)
    ticket_categories = TicketCategoryInputSerializer(many=True, required=False, default=list)


class SessionsCreateSerializer(serializers.Serializer):
    """Either every week (`first_starts_at` and `weeks`) or on given starts (`starts`)."""

    first_starts_at = serializers.DateTimeField(required=False)
    weeks = serializers.IntegerField(min_value=1, max_value=52, required=False)
    starts = serializers.ListField(
        child=serializers.DateTimeField(), required=False, min_length=1, max_length=60
    )
    duration_minutes = serializers.IntegerField(min_value=1, max_value=24 * 60)
    capacity = serializers.IntegerField(min_value=1, max_value=10_000)
    registration_opens_at = serializers.DateTimeField(required=False, allow_null=True)
    registration_closes_at = serializers.DateTimeField(required=False, allow_null=True)
    closes_hours_before = serializers.IntegerField(
        min_value=0, max_value=24 * 60, required=False, allow_null=True
    )

    def validate(self, data: dict) -> dict:
        weekly = "first_starts_at" in data or "weeks" in data
        if weekly == ("starts" in data):
            raise serializers.ValidationError(
                _("Give either first_starts_at and weeks, or a list of starts.")
            )
        if weekly and not ("first_starts_at" in data and "weeks" in data):
            raise serializers.ValidationError(
                {"weeks": [_("Give both first_starts_at and weeks.")]}
            )
        return data


class SessionUpdateSerializer(serializers.Serializer):
    capacity = serializers.IntegerField(min_value=1, max_value=10_000, required=False)
    registration_opens_at = serializers.DateTimeField(required=False, allow_null=True)
    registration_closes_at = serializers.DateTimeField(required=False, allow_null=True)


class SessionCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class SessionMoveSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


# --- registrations and the waitlist API (evapi) --------------------------------------------


_UNSET = object()
_MOMENT = serializers.DateTimeField()
_PRICE = serializers.DecimalField(max_digits=8, decimal_places=2)


def _moment_json(moment) -> str | None:
    return None if moment is None else _MOMENT.to_representation(moment)


def _price_text(price) -> str:
    return _PRICE.to_representation(price)


class RegistrationCreateSerializer(FieldsBuiltOnce, serializers.Serializer):
    """Who is registered follows from what is given: `children` (a guardian's children), a
    school (`school`, or `school_name` and `commune`) with `pupils` (a teacher's class),
    or neither (the caller as an adult)."""

    session = serializers.IntegerField(min_value=1)
    children = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=50,
        help_text=_("Ids of your children to register."),
    )
    school = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    school_name = serializers.CharField(max_length=160, required=False, allow_blank=True)
    commune = serializers.SlugField(
        required=False, allow_blank=True, help_text=_("Slug of the school's commune.")
    )
    grade = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    pupils = serializers.IntegerField(min_value=1, max_value=10_000, required=False)
    accompanying_adults = serializers.IntegerField(min_value=0, max_value=1_000, default=0)
    ticket_category = serializers.IntegerField(min_value=1, required=False, allow_null=True)

    def validate(self, data: dict) -> dict:
        is_class = data.get("school") is not None or bool(data.get("school_name", "").strip())
        if "children" in data and is_class:
            raise serializers.ValidationError(
                _("Register either children or a school class, not both at once.")
            )
        if is_class and "pupils" not in data:
            raise serializers.ValidationError({"pupils": [_("How many pupils come?")]})
        data["kind"] = (
            RegistrationKind.CHILD
            if "children" in data
            else RegistrationKind.SCHOOL_CLASS
            if is_class
            else RegistrationKind.ADULT
        )
        return data


class RegistrationSerializer(serializers.Serializer):
    """A registration as its registrant (or the event's staff) sees it. Lean on purpose: it
    reads only what the registration call already loaded (session, event, child)."""

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=RegistrationKind.choices)
    status = serializers.ChoiceField(choices=RegistrationStatus.choices)
    seats = serializers.IntegerField()
    waitlist_position = serializers.SerializerMethodField(
        help_text=_("1 for the next in line; null when not waiting.")
    )
    price = serializers.DecimalField(max_digits=8, decimal_places=2)
    ticket_category = serializers.IntegerField(source="ticket_category_id", allow_null=True)
    attendee = serializers.CharField(source="attendee_label")
    child = serializers.IntegerField(source="child_id", allow_null=True)
    session = serializers.IntegerField(source="session_id")
    event = serializers.CharField(source="session.event.slug")
    event_title = serializers.CharField(source="session.event.title")
    starts_at = serializers.DateTimeField(source="session.starts_at")
    ends_at = serializers.DateTimeField(source="session.ends_at")
    queued_at = serializers.DateTimeField(allow_null=True)
    offer_expires_at = serializers.DateTimeField(allow_null=True)
    confirmed_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, registration) -> dict:
        """The fields above, read straight from the registration: DRF's field-by-field
        representation (a deep copy of the fields per serializer) costs more than the
        registration's own statements in a rush. The declared fields document the shape."""
        session = registration.session
        event = session.event
        return {
            "id": registration.pk,
            "kind": registration.kind,
            "status": registration.status,
            "seats": registration.seats,
            "waitlist_position": self.get_waitlist_position(registration),
            "price": _price_text(registration.price),
            "ticket_category": registration.ticket_category_id,
            "attendee": registration.attendee_label,
            "child": registration.child_id,
            "session": registration.session_id,
            "event": event.slug,
            "event_title": event.title,
            "starts_at": _moment_json(session.starts_at),
            "ends_at": _moment_json(session.ends_at),
            "queued_at": _moment_json(registration.queued_at),
            "offer_expires_at": _moment_json(registration.offer_expires_at),
            "confirmed_at": _moment_json(registration.confirmed_at),
            "cancelled_at": _moment_json(registration.cancelled_at),
        }

    def get_waitlist_position(self, registration) -> int | None:
        if registration.status != RegistrationStatus.WAITLISTED:
            return None
        # Set by the waitlist notice (sent on commit) or by the list's query: not asked twice.
        known = getattr(registration, "waitlist_position", _UNSET)
        if known is _UNSET or known is None:
            known = _waitlist_position(registration=registration)
        return known


class OfferClaimSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200)


class WaitlistEntrySerializer(serializers.Serializer):
    """An entry of a session's queue, for its staff (children are named)."""

    id = serializers.IntegerField()
    position = serializers.IntegerField(
        allow_null=True, help_text=_("Place in the queue; null for an open offer.")
    )
    kind = serializers.ChoiceField(choices=RegistrationKind.choices)
    status = serializers.ChoiceField(choices=RegistrationStatus.choices)
    attendee = serializers.CharField(source="attendee_label")
    seats = serializers.IntegerField()
    registered_by = serializers.EmailField(source="registered_by.email", default=None)
    queued_at = serializers.DateTimeField()
    offered_at = serializers.DateTimeField(allow_null=True)
    offer_expires_at = serializers.DateTimeField(allow_null=True)


class SessionWaitlistSerializer(serializers.Serializer):
    session = serializers.IntegerField(source="session.pk")
    capacity = serializers.IntegerField(source="session.capacity")
    seats_taken = serializers.IntegerField(source="session.seats_taken")
    waiting = serializers.IntegerField()
    offered = serializers.IntegerField()
    entries = WaitlistEntrySerializer(many=True)
