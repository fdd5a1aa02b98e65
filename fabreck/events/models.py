"""Workshops and events: children's and school workshops, public workshops, trainings that
unlock FabLab machines, cluster events; their sessions, tickets, registrations, waitlists
and attendance.

Invariants the database holds on its own:
- a session never has more seats taken than its capacity (`seats_taken` is a counter that
  every registration, offer, cancellation and expiry moves in the same transaction, and a
  check constraint refuses any value above the capacity: the registration rush cannot
  oversell even if a service forgot its guard);
- one person holds at most one live registration per session (partial unique indexes on
  the child and on the adult attendee);
- a registration's shape matches its kind (a child registration names a child, a school
  class names its school and its size).
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from fabreck.core.i18n import localized
from fabreck.core.models import TimeStampedModel


class EventKind(models.TextChoices):
    CHILDREN_WORKSHOP = "children_workshop", _("Children's workshop")
    TEEN_WORKSHOP = "teen_workshop", _("Teen workshop")
    PUBLIC_WORKSHOP = "public_workshop", _("Public workshop")
    TRAINING = "training", _("Machine training")
    TALK = "talk", _("Talk")
    NETWORKING = "networking", _("Networking")
    B2B_DAY = "b2b_day", _("B2B meeting day")
    OPEN_DAY = "open_day", _("Open day")


# The kinds the cluster runs for its members (the others are run by a FabLab site).
CLUSTER_KINDS = frozenset({EventKind.TALK, EventKind.NETWORKING, EventKind.B2B_DAY})
# The kinds whose attendees are children: their data is protected (never public, kept for
# the guardian and the staff of the sessions concerned, anonymised after retention).
CHILDREN_KINDS = frozenset({EventKind.CHILDREN_WORKSHOP, EventKind.TEEN_WORKSHOP})


class Audience(models.TextChoices):
    EVERYONE = "everyone", _("Everyone")
    CHILDREN = "children", _("Children")
    TEENS = "teens", _("Teenagers")
    FAMILIES = "families", _("Families")
    SCHOOLS = "schools", _("School classes")
    ADULTS = "adults", _("Adults")
    MEMBERS = "members", _("Cluster members")


class EventStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    CANCELLED = "cancelled", _("Cancelled")


class Event(TimeStampedModel):
    Kind = EventKind
    Status = EventStatus

    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=EventStatus.choices, default="draft"
    )
    title_en = models.CharField(_("title (English)"), max_length=160)
    title_fr = models.CharField(_("title (French)"), max_length=160, blank=True)
    title_de = models.CharField(_("title (German)"), max_length=160, blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_de = models.TextField(_("description (German)"), blank=True)
    # Where: a FabLab site, or a venue of its own (cluster events happen anywhere).
    site = models.ForeignKey(
        "fablab.Site",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("FabLab site"),
    )
    venue = models.CharField(
        _("venue"), max_length=200, blank=True, help_text=_("Name and address, if not a site.")
    )
    audience = models.CharField(
        _("audience"), max_length=10, choices=Audience.choices, default="everyone"
    )
    age_min = models.PositiveSmallIntegerField(
        _("minimum age"), null=True, blank=True, validators=[MaxValueValidator(120)]
    )
    age_max = models.PositiveSmallIntegerField(
        _("maximum age"), null=True, blank=True, validators=[MaxValueValidator(120)]
    )
    picture = models.ImageField(_("picture"), upload_to="events/", blank=True)
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="events_organised",
        verbose_name=_("organiser"),
    )
    # A training session: passing it records the authorisation of this course.
    course = models.ForeignKey(
        "fablab.Course",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("FabLab course"),
    )
    accepts_school_classes = models.BooleanField(_("school classes may register"), default=False)
    members_only = models.BooleanField(_("for cluster members only"), default=False)
    max_per_registrant = models.PositiveSmallIntegerField(
        _("places per person and event"),
        default=4,
        validators=[MinValueValidator(1)],
        help_text=_("How many attendees one guardian or adult may register for this event."),
    )
    offer_hours = models.PositiveSmallIntegerField(
        _("hours to claim a freed seat"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 14)],
    )

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(
                condition=Q(age_min__isnull=True)
                | Q(age_max__isnull=True)
                | Q(age_min__lte=F("age_max")),
                name="events_event_age_range",
            ),
            models.CheckConstraint(
                condition=Q(kind="training", course__isnull=False)
                | (~Q(kind="training") & Q(course__isnull=True)),
                name="events_event_course_iff_training",
            ),
            models.CheckConstraint(
                condition=Q(site__isnull=False) | ~Q(venue=""),
                name="events_event_has_a_place",
            ),
            models.CheckConstraint(
                condition=Q(max_per_registrant__gte=1), name="events_event_max_per_registrant"
            ),
            models.CheckConstraint(
                condition=Q(offer_hours__gte=1), name="events_event_offer_hours"
            ),
        ]
        indexes = [models.Index(fields=["status", "kind"], name="events_event_status_kind")]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return localized(self, "title")

    @property
    def description(self) -> str:
        return localized(self, "description")

    @property
    def is_for_children(self) -> bool:
        return self.kind in CHILDREN_KINDS

    @property
    def is_cluster_event(self) -> bool:
        return self.kind in CLUSTER_KINDS

    def age_accepts(self, age: int) -> bool:
        return (self.age_min is None or age >= self.age_min) and (
            self.age_max is None or age <= self.age_max
        )


class TicketCategory(models.Model):
    """A kind of ticket with its price (free allowed): child, adult, pupil, member…"""

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="ticket_categories", verbose_name=_("event")
    )
    name_en = models.CharField(_("name (English)"), max_length=80)
    name_fr = models.CharField(_("name (French)"), max_length=80, blank=True)
    name_de = models.CharField(_("name (German)"), max_length=80, blank=True)
    price = models.DecimalField(
        _("price (EUR)"),
        max_digits=8,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("ticket category")
        verbose_name_plural = _("ticket categories")
        ordering = ["event", "position", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="events_ticket_price_positive")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return localized(self, "name")

    @property
    def is_free(self) -> bool:
        return not self.price


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    CANCELLED = "cancelled", _("Cancelled")


class Session(TimeStampedModel):
    """One date of an event, with its own capacity and registration window."""

    Status = SessionStatus

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("event")
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveIntegerField(_("seats"), validators=[MinValueValidator(1)])
    # Seats held by confirmed registrations and by open offers to the waitlist. Moved only by
    # the services, in the transaction that changes the registration; never above capacity.
    seats_taken = models.PositiveIntegerField(_("seats taken"), default=0, editable=False)
    registration_opens_at = models.DateTimeField(_("registration opens"), null=True, blank=True)
    registration_closes_at = models.DateTimeField(_("registration closes"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=SessionStatus.choices, default="scheduled"
    )
    cancelled_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    reminders_sent_at = models.DateTimeField(_("reminders sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="events_session_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="events_session_capacity"),
            models.CheckConstraint(
                condition=Q(seats_taken__lte=F("capacity")), name="events_session_not_oversold"
            ),
            models.CheckConstraint(
                condition=Q(registration_opens_at__isnull=True)
                | Q(registration_closes_at__isnull=True)
                | Q(registration_closes_at__gt=F("registration_opens_at")),
                name="events_session_window",
            ),
        ]
        indexes = [models.Index(fields=["starts_at"], name="events_session_starts")]

    def __str__(self) -> str:
        return f"{self.event} — {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def seats_left(self) -> int:
        return max(0, self.capacity - self.seats_taken)

    @property
    def is_full(self) -> bool:
        return self.seats_taken >= self.capacity


class School(models.Model):
    """A school whose classes come to workshops; statistics count pupils per school."""

    name = models.CharField(_("name"), max_length=160)
    commune = models.ForeignKey(
        "cluster.Commune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("commune"),
    )

    class Meta:
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "commune"], name="events_school_once")
        ]

    def __str__(self) -> str:
        return self.name if self.commune is None else f"{self.name} ({self.commune})"


class Child(TimeStampedModel):
    """A child kept by a guardian. Never public: seen by the guardian and by the staff of the
    sessions the child is registered for. Anonymisation blanks what names the child and
    keeps what statistics need (birth year, commune)."""

    guardian = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("guardian"),
    )
    first_name = models.CharField(_("first name"), max_length=80, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), editable=False)
    commune = models.ForeignKey(
        "cluster.Commune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("commune of residence"),
    )
    photo_consent = models.BooleanField(_("photos may be taken and published"), default=False)
    pickup_persons = models.TextField(
        _("who may pick the child up"), blank=True, help_text=_("Names and phone numbers.")
    )
    notes = models.TextField(
        _("notes for the staff"), blank=True, help_text=_("Allergies, needs, anything useful.")
    )
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)

    class Meta:
        verbose_name = _("child")
        verbose_name_plural = _("children")
        ordering = ["guardian", "first_name", "pk"]
        constraints = [
            # Either a named child of a guardian, or an anonymised record for statistics.
            models.CheckConstraint(
                condition=Q(
                    anonymised_at__isnull=True,
                    guardian__isnull=False,
                    birth_date__isnull=False,
                )
                & ~Q(first_name="")
                | Q(anonymised_at__isnull=False, birth_date__isnull=True, first_name=""),
                name="events_child_named_or_anonymised",
            ),
        ]

    def __str__(self) -> str:
        return self.first_name or _("anonymised child #%(id)s") % {"id": self.pk}

    def age_on(self, day: date) -> int:
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def save(self, *args, **kwargs) -> None:
        if self.birth_date is not None:
            self.birth_year = self.birth_date.year
        super().save(*args, **kwargs)


class RegistrationKind(models.TextChoices):
    CHILD = "child", _("Child")
    ADULT = "adult", _("Adult")
    SCHOOL_CLASS = "school_class", _("School class")


class RegistrationStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    WAITLISTED = "waitlisted", _("On the waitlist")
    OFFERED = "offered", _("Seat offered")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Offer expired")


# The statuses that hold a place in the session or in its queue.
LIVE_STATUSES = ("confirmed", "waitlisted", "offered")
# The statuses whose seats count in Session.seats_taken.
SEATED_STATUSES = ("confirmed", "offered")


class Attendance(models.TextChoices):
    UNKNOWN = "unknown", _("Not yet recorded")
    PRESENT = "present", _("Present")
    NO_SHOW = "no_show", _("No-show")


class Registration(TimeStampedModel):
    """A seat (or a school class's seats) in a session, or a place in its waitlist.

    Waitlist order is the order of arrival: `queued_at`, then the primary key. A freed seat
    is offered to the next in line with a claim link (only its digest is stored) valid for
    the event's `offer_hours`; the offered seats are held until claimed or expired."""

    Kind = RegistrationKind
    Status = RegistrationStatus

    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="registrations", verbose_name=_("session")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=RegistrationKind.choices)
    status = models.CharField(_("status"), max_length=10, choices=RegistrationStatus.choices)
    # The guardian, teacher or adult who registered (kept null after their account goes).
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="event_registrations",
        verbose_name=_("registered by"),
    )
    child = models.ForeignKey(
        Child,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registrations",
        verbose_name=_("child"),
    )
    # Age on the session date, kept so that statistics survive anonymisation.
    child_age = models.PositiveSmallIntegerField(_("age on the day"), null=True, blank=True)
    attendee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="event_attendances",
        verbose_name=_("adult attendee"),
    )
    school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registrations",
        verbose_name=_("school"),
    )
    grade = models.CharField(_("grade"), max_length=20, blank=True)
    pupils = models.PositiveSmallIntegerField(_("pupils"), null=True, blank=True)
    accompanying_adults = models.PositiveSmallIntegerField(_("accompanying adults"), default=0)
    seats = models.PositiveSmallIntegerField(_("seats"), default=1)
    ticket_category = models.ForeignKey(
        TicketCategory,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registrations",
        verbose_name=_("ticket"),
    )
    price = models.DecimalField(_("price (EUR)"), max_digits=8, decimal_places=2, default=0)
    queued_at = models.DateTimeField(_("joined the waitlist"), null=True, blank=True)
    offered_at = models.DateTimeField(_("seat offered at"), null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("offer expires at"), null=True, blank=True)
    offer_token_digest = models.CharField(max_length=64, blank=True, editable=False)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cancelled by"),
    )
    attendance = models.CharField(
        _("attendance"), max_length=8, choices=Attendance.choices, default="unknown"
    )
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    # For a training: the attendee passed, and the authorisation it recorded.
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["session", "queued_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(seats__gte=1), name="events_registration_seats"),
            models.CheckConstraint(
                condition=Q(kind="child", child__isnull=False, school__isnull=True, seats=1)
                | Q(kind="adult", child__isnull=True, school__isnull=True, seats=1)
                | Q(
                    kind="school_class",
                    child__isnull=True,
                    school__isnull=False,
                    pupils__gte=1,
                    seats=F("pupils"),
                ),
                name="events_registration_shape",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["waitlisted", "offered"]) | Q(queued_at__isnull=False),
                name="events_registration_queued",
            ),
            models.CheckConstraint(
                condition=~Q(status="offered")
                | Q(offer_expires_at__isnull=False) & ~Q(offer_token_digest=""),
                name="events_registration_offer",
            ),
            # No duplicate registration of the same person for the same session.
            models.UniqueConstraint(
                fields=["session", "child"],
                condition=Q(status__in=LIVE_STATUSES, child__isnull=False),
                name="events_registration_child_once",
            ),
            models.UniqueConstraint(
                fields=["session", "attendee"],
                condition=Q(status__in=LIVE_STATUSES, kind="adult", attendee__isnull=False),
                name="events_registration_adult_once",
            ),
        ]
        indexes = [
            # The waitlist of a session in order of arrival.
            models.Index(
                fields=["session", "queued_at", "id"],
                condition=Q(status="waitlisted"),
                name="events_registration_queue",
            ),
            models.Index(
                fields=["offer_expires_at"],
                condition=Q(status="offered"),
                name="events_registration_offers",
            ),
            models.Index(fields=["registered_by", "status"], name="events_registration_by"),
        ]

    def __str__(self) -> str:
        return f"{self.attendee_label} — {self.session}"

    @property
    def attendee_label(self) -> str:
        if self.kind == RegistrationKind.CHILD and self.child_id:
            return str(self.child)
        if self.kind == RegistrationKind.SCHOOL_CLASS and self.school_id:
            return f"{self.school} {self.grade}".strip()
        if self.attendee_id:
            return self.attendee.get_full_name() or self.attendee.email
        return str(_("(deleted account)"))

    @property
    def holds_seats(self) -> bool:
        return self.status in SEATED_STATUSES


class RegistrationNotice(models.Model):
    """The outbox of registration e-mails: one row per letter to write (a confirmation, or
    a waitlist notice), inserted in the registration's transaction and rendered and sent
    outside the request (on commit by a Celery worker, or by the periodic job). A send
    that fails is retried later; a letter is sent once."""

    class Kind(models.TextChoices):
        CONFIRMED = "confirmed", _("registration confirmed")
        WAITLISTED = "waitlisted", _("waitlist joined")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="+", verbose_name=_("session")
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("recipient"),
    )
    registration_ids = models.JSONField(_("registrations"), default=list)
    created_at = models.DateTimeField(_("created at"))
    # Not before: the retries of a failed send wait longer each time.
    send_after = models.DateTimeField(_("send after"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("registration e-mail")
        verbose_name_plural = _("registration e-mails")
        indexes = [
            # The letters waiting to go, oldest first.
            models.Index(
                fields=["send_after", "id"],
                condition=Q(sent_at__isnull=True),
                name="events_notice_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"
