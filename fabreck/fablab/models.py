"""The FabLab network: sites and their hours, machines and spaces, trainings that unlock
them, bookings that never collide, usage and prices."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fabreck.core.i18n import localized
from fabreck.core.models import TimeStampedModel


class Site(TimeStampedModel):
    """A FabLab site, and the booking rules of its machines and spaces."""

    class Kind(models.TextChoices):
        PROTOTYPING = "prototyping", _("Small prototyping")
        INDUSTRIAL = "industrial", _("Industrial machines")

    slug = models.SlugField(_("slug"), unique=True)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_de = models.TextField(_("description (German)"), blank=True)
    street = models.CharField(_("street and number"), max_length=200)
    postcode = models.CharField(_("postcode"), max_length=8)
    locality = models.CharField(_("locality"), max_length=100)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    is_open_to_public = models.BooleanField(_("open to the public"), default=True)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="fablab_sites", verbose_name=_("staff")
    )

    # Booking rules of the site's resources
    slot_minutes = models.PositiveSmallIntegerField(
        _("booking step (minutes)"), default=15, validators=[MinValueValidator(5)]
    )
    min_booking_minutes = models.PositiveSmallIntegerField(
        _("shortest booking (minutes)"), default=30, validators=[MinValueValidator(5)]
    )
    max_booking_minutes = models.PositiveSmallIntegerField(
        _("longest booking (minutes)"), default=240, validators=[MinValueValidator(5)]
    )
    max_days_ahead = models.PositiveSmallIntegerField(
        _("bookable up to (days ahead)"), default=28, validators=[MinValueValidator(1)]
    )
    min_notice_minutes = models.PositiveSmallIntegerField(
        _("booking closes before the start (minutes)"), default=30
    )
    cancellation_hours = models.PositiveSmallIntegerField(
        _("free cancellation until (hours before)"), default=24
    )
    weekly_quota_hours = models.PositiveSmallIntegerField(
        _("weekly quota per maker (hours)"), default=8, validators=[MinValueValidator(1)]
    )

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_booking_minutes__gte=models.F("min_booking_minutes")),
                name="fablab_site_durations_ordered",
            ),
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=5), name="fablab_site_slot_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def description(self) -> str:
        return localized(self, "description")


class OpeningHours(models.Model):
    """One opening interval on one weekday (several per day for a lunch break)."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(
        _("weekday"),
        choices=[
            (0, _("Monday")),
            (1, _("Tuesday")),
            (2, _("Wednesday")),
            (3, _("Thursday")),
            (4, _("Friday")),
            (5, _("Saturday")),
            (6, _("Sunday")),
        ],
    )
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["site", "weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="fablab_hours_weekday"
            ),
            models.CheckConstraint(
                condition=Q(closes__gt=models.F("opens")), name="fablab_hours_ordered"
            ),
            models.UniqueConstraint(fields=["site", "weekday", "opens"], name="fablab_hours_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class Closure(models.Model):
    """Days a site is closed although its hours say open: holidays, inventory, works."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="closures")
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    reason_en = models.CharField(_("reason (English)"), max_length=120, blank=True)
    reason_fr = models.CharField(_("reason (French)"), max_length=120, blank=True)
    reason_de = models.CharField(_("reason (German)"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        ordering = ["site", "starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="fablab_closure_ordered"
            )
        ]

    def __str__(self) -> str:
        return f"{self.site}: {self.starts_on} - {self.ends_on}"

    @property
    def reason(self) -> str:
        return localized(self, "reason")


class MachineCategory(models.Model):
    slug = models.SlugField(_("slug"), unique=True)
    name_en = models.CharField(_("name (English)"), max_length=80)
    name_fr = models.CharField(_("name (French)"), max_length=80)
    name_de = models.CharField(_("name (German)"), max_length=80)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("machine category")
        verbose_name_plural = _("machine categories")
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return localized(self, "name")


class Course(models.Model):
    """A training course for a machine category; passing it authorises its machines."""

    slug = models.SlugField(_("slug"), unique=True)
    category = models.ForeignKey(
        MachineCategory,
        on_delete=models.PROTECT,
        related_name="courses",
        verbose_name=_("machine category"),
    )
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_fr = models.CharField(_("name (French)"), max_length=120)
    name_de = models.CharField(_("name (German)"), max_length=120)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_de = models.TextField(_("description (German)"), blank=True)
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=120)
    validity_months = models.PositiveSmallIntegerField(
        _("valid for (months)"),
        null=True,
        blank=True,
        help_text=_("Leave empty when the authorisation never expires."),
        validators=[MinValueValidator(1), MaxValueValidator(120)],
    )

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["category__position", "slug"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return localized(self, "name")


class ResourceStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")
    MAINTENANCE = "maintenance", _("In maintenance")
    OUT_OF_ORDER = "out_of_order", _("Out of order")


class Resource(TimeStampedModel):
    """A bookable machine or space. A space can contain machines: booking the space blocks
    them, and booking one of them blocks the whole space (see Occupancy)."""

    class Kind(models.TextChoices):
        MACHINE = "machine", _("Machine")
        SPACE = "space", _("Space")

    Status = ResourceStatus

    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="resources", verbose_name=_("site")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    category = models.ForeignKey(
        MachineCategory,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="resources",
        verbose_name=_("category"),
    )
    space = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contents",
        limit_choices_to={"kind": "space"},
        verbose_name=_("stands in"),
    )
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=120)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_de = models.TextField(_("description (German)"), blank=True)
    specs = models.TextField(_("specifications"), blank=True, help_text=_("One per line."))
    photo = models.ImageField(_("photo"), upload_to="fablab/resources/", blank=True)
    documentation_url = models.URLField(_("documentation"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ResourceStatus.choices, default="available"
    )
    capacity = models.PositiveSmallIntegerField(
        _("people at once"), null=True, blank=True, help_text=_("For spaces.")
    )
    required_courses = models.ManyToManyField(
        Course, blank=True, related_name="resources", verbose_name=_("required trainings")
    )
    is_bookable = models.BooleanField(_("bookable by makers"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("machine or space")
        verbose_name_plural = _("machines and spaces")
        ordering = ["site", "position", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="space") | Q(category__isnull=False),
                name="fablab_machine_has_category",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["machine", "space"]), name="fablab_resource_kind"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ResourceStatus.values), name="fablab_resource_status"
            ),
            models.CheckConstraint(
                condition=~Q(space=models.F("id")), name="fablab_resource_not_in_itself"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def description(self) -> str:
        return localized(self, "description")

    @property
    def spec_lines(self) -> list[str]:
        return [line.strip() for line in self.specs.splitlines() if line.strip()]


class Authorisation(models.Model):
    """A maker may use the machines of a course's category: passed a session, or granted
    by staff for prior experience. Revoked or expired ones stay as history."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="fablab_authorisations",
        verbose_name=_("maker"),
    )
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, related_name="authorisations", verbose_name=_("course")
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    evidence = models.TextField(_("evidence"), blank=True)
    session = models.ForeignKey(
        "TrainingSession",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="authorisations",
        verbose_name=_("training session"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )
    revoke_reason = models.TextField(_("reason for revoking"), blank=True)
    reminder_sent_at = models.DateTimeField(_("expiry reminder sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("authorisation")
        verbose_name_plural = _("authorisations")
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["user", "course"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gt=models.F("issued_at")),
                name="fablab_authorisation_expires_after_issue",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | ~Q(revoke_reason=""),
                name="fablab_authorisation_revoked_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.course}"

    def is_valid_at(self, moment: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > moment)


class TrainingSession(models.Model):
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("course")
    )
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="training_sessions", verbose_name=_("site")
    )
    instructor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="taught_sessions",
        verbose_name=_("instructor"),
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveSmallIntegerField(_("places"), default=6)

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="fablab_session_ordered"
            )
        ]

    def __str__(self) -> str:
        return f"{self.course} {self.starts_at:%Y-%m-%d}"


class PriceGroup(models.Model):
    """Who pays which rate: public, cluster member, student, incubated startup, …"""

    slug = models.SlugField(_("slug"), unique=True)
    name_en = models.CharField(_("name (English)"), max_length=80)
    name_fr = models.CharField(_("name (French)"), max_length=80)
    name_de = models.CharField(_("name (German)"), max_length=80)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("price group")
        verbose_name_plural = _("price groups")
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return localized(self, "name")


class Rate(models.Model):
    """An hourly rate of a price group for one resource, or for a whole category."""

    price_group = models.ForeignKey(
        PriceGroup, on_delete=models.CASCADE, related_name="rates", verbose_name=_("price group")
    )
    resource = models.ForeignKey(
        Resource,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="rates",
        verbose_name=_("machine or space"),
    )
    category = models.ForeignKey(
        MachineCategory,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="rates",
        verbose_name=_("category"),
    )
    hourly_rate = models.DecimalField(
        _("hourly rate (EUR)"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )

    class Meta:
        verbose_name = _("rate")
        verbose_name_plural = _("rates")
        constraints = [
            models.CheckConstraint(
                condition=(Q(resource__isnull=False) & Q(category__isnull=True))
                | (Q(resource__isnull=True) & Q(category__isnull=False)),
                name="fablab_rate_for_resource_or_category",
            ),
            models.CheckConstraint(
                condition=Q(hourly_rate__gte=0), name="fablab_rate_not_negative"
            ),
            models.UniqueConstraint(
                fields=["price_group", "resource"],
                condition=Q(resource__isnull=False),
                name="fablab_rate_once_per_resource",
            ),
            models.UniqueConstraint(
                fields=["price_group", "category"],
                condition=Q(category__isnull=False),
                name="fablab_rate_once_per_category",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.price_group}: {self.resource or self.category} {self.hourly_rate} €/h"


class MakerProfile(models.Model):
    """What the FabLab knows of a maker beyond the account: their price group."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="maker_profile"
    )
    price_group = models.ForeignKey(
        PriceGroup, on_delete=models.PROTECT, verbose_name=_("price group")
    )
    price_group_note = models.CharField(_("proof of the price group"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("maker profile")
        verbose_name_plural = _("maker profiles")

    def __str__(self) -> str:
        return f"{self.user} ({self.price_group})"


class OrganisationPriceGroup(models.Model):
    """A price group agreed for an organisation's bookings (an incubated startup's, …): it
    comes before the one the organisation's kind would give."""

    organisation = models.OneToOneField(
        "cluster.Organisation",
        on_delete=models.CASCADE,
        related_name="fablab_price_group",
        verbose_name=_("organisation"),
    )
    price_group = models.ForeignKey(
        PriceGroup, on_delete=models.PROTECT, related_name="+", verbose_name=_("price group")
    )
    note = models.CharField(_("why"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("price group of an organisation")
        verbose_name_plural = _("price groups of organisations")

    def __str__(self) -> str:
        return f"{self.organisation}: {self.price_group}"


class PrepaidAccount(models.Model):
    """Prepaid machine hours of an organisation (an incubated startup's grant), consumed by
    its bookings. The balance moves only with a movement, under the account's row lock; the
    database refuses a negative balance."""

    organisation = models.OneToOneField(
        "cluster.Organisation",
        on_delete=models.CASCADE,
        related_name="fablab_prepaid_account",
        verbose_name=_("organisation"),
    )
    balance_hours = models.DecimalField(
        _("hours left"), max_digits=8, decimal_places=2, default=Decimal("0.00")
    )

    class Meta:
        verbose_name = _("prepaid hours account")
        verbose_name_plural = _("prepaid hours accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(balance_hours__gte=0), name="fablab_prepaid_balance_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.balance_hours} h"


class PrepaidMovementKind(models.TextChoices):
    GRANT = "grant", _("Hours granted")
    USE = "use", _("Used by a booking")
    REFUND = "refund", _("Given back by a cancellation")
    ADJUSTMENT = "adjustment", _("Adjusted by staff")
    EXPIRY = "expiry", _("Expired")
    # A moved booking uses more or fewer hours: the difference, as often as it moves.
    MOVE = "move", _("Changed by moving a booking")


class PrepaidMovement(models.Model):
    """One change of a prepaid account: hours in (positive) or out (negative)."""

    Kind = PrepaidMovementKind

    account = models.ForeignKey(
        PrepaidAccount,
        on_delete=models.CASCADE,
        related_name="movements",
        verbose_name=_("account"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=PrepaidMovementKind.choices)
    hours = models.DecimalField(_("hours"), max_digits=8, decimal_places=2)
    booking = models.ForeignKey(
        "Booking",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="prepaid_movements",
        verbose_name=_("booking"),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("prepaid hours movement")
        verbose_name_plural = _("prepaid hours movements")
        ordering = ["-at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=PrepaidMovementKind.values),
                name="fablab_prepaid_movement_kind_known",
            ),
            models.CheckConstraint(condition=~Q(hours=0), name="fablab_prepaid_movement_not_zero"),
            models.CheckConstraint(
                condition=(Q(kind__in=("grant", "refund")) & Q(hours__gt=0))
                | (Q(kind__in=("use", "expiry")) & Q(hours__lt=0))
                | Q(kind__in=("adjustment", "move")),
                name="fablab_prepaid_movement_sign",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=("use", "refund", "move")) | Q(booking__isnull=False),
                name="fablab_prepaid_movement_booking",
            ),
            # A booking uses hours once and gets them back once (moves may repeat).
            models.UniqueConstraint(
                fields=["booking", "kind"],
                condition=Q(booking__isnull=False, kind__in=("use", "refund")),
                name="fablab_prepaid_movement_once_per_booking",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.hours:+} h ({self.kind})"


class BookingStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    CANCELLED = "cancelled", _("Cancelled")


class Booking(TimeStampedModel):
    """A resource held for a time: a maker's booking, a staff block, or maintenance."""

    class Kind(models.TextChoices):
        BOOKING = "booking", _("Booking")
        BLOCK = "block", _("Blocked by staff")
        MAINTENANCE = "maintenance", _("Maintenance")

    Status = BookingStatus

    resource = models.ForeignKey(
        Resource, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("resource")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default="booking")
    status = models.CharField(
        _("status"), max_length=10, choices=BookingStatus.choices, default="confirmed"
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="fablab_bookings",
        verbose_name=_("maker"),
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("booked by"),
    )
    organisation = models.ForeignKey(
        "cluster.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="fablab_bookings",
        verbose_name=_("for the organisation"),
    )
    project_reference = models.CharField(_("prototyping project"), max_length=80, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    rules_overridden = models.BooleanField(_("staff overrode the rules"), default=False)
    # The price shown before confirmation, kept for invoicing.
    price_group = models.ForeignKey(
        PriceGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("price group"),
    )
    hourly_rate = models.DecimalField(
        _("hourly rate (EUR)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    price = models.DecimalField(
        _("price (EUR)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    # Hours paid from the organisation's prepaid account; the price covers only the rest.
    # (A database default too: the seeders write bookings in bulk without this column.)
    prepaid_hours = models.DecimalField(
        _("prepaid hours used"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("0.00"),
        db_default=Decimal("0.00"),
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cancelled by"),
    )
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    # Usage
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    no_show = models.BooleanField(_("no-show"), default=False)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["resource", "starts_at"]),
            models.Index(fields=["user", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="fablab_booking_ordered"
            ),
            models.CheckConstraint(
                condition=Q(status__in=BookingStatus.values), name="fablab_booking_status"
            ),
            models.CheckConstraint(
                condition=~Q(kind="booking") | Q(user__isnull=False),
                name="fablab_booking_has_maker",
            ),
            models.CheckConstraint(
                condition=Q(status="cancelled") | Q(cancelled_at__isnull=True),
                name="fablab_booking_cancel_consistent",
            ),
            models.CheckConstraint(
                condition=Q(prepaid_hours__gte=0), name="fablab_booking_prepaid_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resource} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status == BookingStatus.CONFIRMED


class Occupancy(models.Model):
    """The time a confirmed booking holds each resource it touches: the booked one, and for
    a space every machine inside it. On PostgreSQL an exclusion constraint (migration 0002)
    forbids two overlapping rows of one resource; cancelling deletes a booking's rows."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="occupancies")
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        verbose_name = _("occupancy")
        verbose_name_plural = _("occupancies")
        indexes = [models.Index(fields=["resource", "starts_at", "ends_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="fablab_occupancy_ordered"
            ),
            models.UniqueConstraint(
                fields=["booking", "resource"], name="fablab_occupancy_once_per_booking"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resource_id} {self.starts_at:%Y-%m-%d %H:%M}-{self.ends_at:%H:%M}"


class CalendarFeed(models.Model):
    """A private ICS feed by secret URL, of a maker's bookings or of one resource."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="fablab_feeds"
    )
    resource = models.ForeignKey(
        Resource, on_delete=models.CASCADE, null=True, blank=True, related_name="feeds"
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return f"{self.owner}: {self.resource or 'bookings'}"


class Material(models.Model):
    """A consumable sold at a site: plywood sheet, PLA filament, acrylic, …"""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="materials")
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_fr = models.CharField(_("name (French)"), max_length=120)
    name_de = models.CharField(_("name (German)"), max_length=120)
    unit = models.CharField(_("unit"), max_length=20, help_text=_("sheet, m, g, piece…"))
    unit_price = models.DecimalField(
        _("unit price (EUR)"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    is_active = models.BooleanField(_("on sale"), default=True)

    class Meta:
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        ordering = ["site", "name_en"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="fablab_material_price_not_negative"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return localized(self, "name")


class MaterialUse(models.Model):
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="materials")
    material = models.ForeignKey(Material, on_delete=models.PROTECT, verbose_name=_("material"))
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    unit_price = models.DecimalField(_("unit price (EUR)"), max_digits=8, decimal_places=2)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("material used")
        verbose_name_plural = _("materials used")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="fablab_material_use_positive")
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.material}"

    @property
    def total(self) -> Decimal:
        return self.quantity * self.unit_price


# --- Staff side: training participants ---------------------------------------------------


class TrainingParticipant(models.Model):
    """A maker's place in a training session, and the result staff recorded. Every row
    takes a place, whatever its result: places left = capacity - participants."""

    class Result(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Not passed")
        ABSENT = "absent", _("Absent")

    session = models.ForeignKey(
        TrainingSession,
        on_delete=models.CASCADE,
        related_name="participants",
        verbose_name=_("training session"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="fablab_trainings",
        verbose_name=_("maker"),
    )
    result = models.CharField(
        _("result"), max_length=10, choices=Result.choices, default="registered"
    )
    registered_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registered by"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("result recorded by"),
    )
    recorded_at = models.DateTimeField(_("result recorded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("training participant")
        verbose_name_plural = _("training participants")
        ordering = ["session", "registered_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(result__in=["registered", "passed", "failed", "absent"]),
                name="fablab_participant_result",
            ),
            models.UniqueConstraint(
                fields=["session", "user"], name="fablab_participant_once_per_session"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.session}"
