"""Prototyping projects: requests from organisations and makers, triage, versioned quotes,
execution on the FabLab's machines, delivery, and the public gallery of documented
projects.

Invariants the database holds on its own:
- a project's status is one of the known ones; a declined project says why; from the first
  quote on, a project has a site and a staff lead; a delivered or closed one its delivery
  time (`projects_project_*` checks);
- quote versions are unique per project and at most one quote of a project is accepted
  (a partial unique index: two people accepting at once cannot both win);
- a quote line has a positive quantity and a price that is not negative, and a machine
  line names its machine, a material line its material;
- a booking serves at most one project;
- a published documentation has its author's consent and is never confidential.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.files.storage import storages
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fabreck.core.models import TimeStampedModel


def private_storage():
    """Files that only a project's people and staff may read: never under MEDIA_URL."""
    return storages["private"]


# --- Requests and their life --------------------------------------------------------------


class ProjectStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    QUOTED = "quoted", _("Quoted")
    ACCEPTED = "accepted", _("Accepted")
    IN_PROGRESS = "in_progress", _("In progress")
    DELIVERED = "delivered", _("Delivered")
    CLOSED = "closed", _("Closed")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")


# The only moves a project may make. A rejected quote sends the project back to
# "requested" until staff send a new version; a new version of a sent quote keeps it
# "quoted" (no status change).
TRANSITIONS: dict[str, frozenset[str]] = {
    "requested": frozenset({"quoted", "declined", "cancelled"}),
    "quoted": frozenset({"accepted", "requested", "declined", "cancelled"}),
    "accepted": frozenset({"in_progress", "cancelled"}),
    "in_progress": frozenset({"delivered", "cancelled"}),
    "delivered": frozenset({"closed"}),
    "closed": frozenset(),
    "declined": frozenset(),
    "cancelled": frozenset(),
}
# From the first quote on, staff have triaged the project: it has a site and a lead.
TRIAGED_STATUSES = ("quoted", "accepted", "in_progress", "delivered", "closed")
OPEN_STATUSES = ("requested", "quoted", "accepted", "in_progress")


class RequesterKind(models.TextChoices):
    """Who asked, as the statistics count them (kept as it was when the request came)."""

    NONPROFIT = "nonprofit", _("Nonprofit")
    SME = "sme", _("SME")
    LARGE_GROUP = "large_group", _("Large group")
    STARTUP = "startup", _("Startup")
    PUBLIC = "public", _("Public body, school or research")
    INDIVIDUAL = "individual", _("Individual maker")


class BudgetRange(models.TextChoices):
    UNKNOWN = "unknown", _("Not known yet")
    UNDER_1K = "under_1k", _("Under 1,000 EUR")
    FROM_1K = "1k_5k", _("1,000 to 5,000 EUR")
    FROM_5K = "5k_20k", _("5,000 to 20,000 EUR")
    OVER_20K = "over_20k", _("Over 20,000 EUR")


class Project(TimeStampedModel):
    """A prototyping request and, once accepted, the project it becomes. `created_at` is
    the time of the request."""

    Status = ProjectStatus

    title = models.CharField(_("title"), max_length=160)
    goal = models.TextField(_("goal"), max_length=2000)
    description = models.TextField(_("description"), max_length=10000)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="project_requests",
        verbose_name=_("requested by"),
    )
    organisation = models.ForeignKey(
        "cluster.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
        verbose_name=_("organisation"),
        help_text=_("Empty for an individual maker's request."),
    )
    requester_kind = models.CharField(
        _("kind of requester"), max_length=12, choices=RequesterKind.choices
    )
    machine_categories = models.ManyToManyField(
        "fablab.MachineCategory",
        blank=True,
        related_name="projects",
        verbose_name=_("machines needed"),
    )
    competences = models.ManyToManyField(
        "cluster.Competence",
        blank=True,
        related_name="projects",
        verbose_name=_("competences needed"),
    )
    materials = models.TextField(_("materials"), max_length=2000, blank=True)
    quantity = models.PositiveIntegerField(
        _("quantity"), default=1, validators=[MinValueValidator(1)]
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    budget_range = models.CharField(
        _("budget"), max_length=10, choices=BudgetRange.choices, default=BudgetRange.UNKNOWN
    )
    confidential = models.BooleanField(
        _("confidential (under NDA)"),
        default=False,
        help_text=_("A confidential project is never shown in public."),
    )

    status = models.CharField(
        _("status"), max_length=12, choices=ProjectStatus.choices, default="requested"
    )
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    # Triage
    site = models.ForeignKey(
        "fablab.Site",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
        verbose_name=_("site"),
    )
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects_led",
        verbose_name=_("staff lead"),
    )
    decline_reason = models.TextField(_("reason for declining"), max_length=2000, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), max_length=2000, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("prototyping project")
        verbose_name_plural = _("prototyping projects")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["organisation", "created_at"]),
            models.Index(fields=["site", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ProjectStatus.values), name="projects_project_status_known"
            ),
            models.CheckConstraint(
                condition=Q(requester_kind__in=RequesterKind.values),
                name="projects_project_requester_kind_known",
            ),
            models.CheckConstraint(
                condition=Q(budget_range__in=BudgetRange.values),
                name="projects_project_budget_known",
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="projects_project_quantity_positive"
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decline_reason=""),
                name="projects_project_declined_with_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=TRIAGED_STATUSES)
                | (Q(site__isnull=False) & Q(lead__isnull=False)),
                name="projects_project_triaged_has_site_and_lead",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["delivered", "closed"]) | Q(delivered_at__isnull=False),
                name="projects_project_delivered_has_time",
            ),
            models.CheckConstraint(
                condition=Q(requester_kind="individual") | Q(organisation__isnull=False),
                name="projects_project_organisation_named",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        """What people quote on the phone and in e-mails: year of the request and number."""
        if self.pk is None or self.created_at is None:
            return ""
        return f"P{self.created_at:%Y}-{self.pk:05d}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def may_become(self, status: str) -> bool:
        return status in TRANSITIONS[self.status]


class StatusChange(models.Model):
    """One move of a project's status: who, when, and why."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(
        _("from"), max_length=12, choices=ProjectStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=12, choices=ProjectStatus.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"))
    note = models.TextField(_("note"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["changed_at", "pk"]
        indexes = [models.Index(fields=["project", "changed_at"])]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.from_status or '-'} -> {self.to_status}"


class Comment(models.Model):
    """A message on a project's timeline, between the organisation and staff. Internal
    notes are for staff only."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("message"), max_length=5000)
    internal = models.BooleanField(_("staff only"), default=False)
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["project", "created_at"])]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.body[:40]}"


class Attachment(models.Model):
    """A file of a request or of the timeline (drawing, CAD file, image), stored out of
    the public media and served only to the project's people and staff."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to="projects/%Y/%m/", storage=private_storage)
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("type"), max_length=100, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.name


# --- Quotes -------------------------------------------------------------------------------


class QuoteStatus(models.TextChoices):
    SENT = "sent", _("Awaiting the answer")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    SUPERSEDED = "superseded", _("Replaced by a newer version")


class Quote(models.Model):
    """One version of a project's quote. Lines are copied prices, so a later change of
    rates or of the catalogue never changes a quote already sent."""

    Status = QuoteStatus

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="quotes")
    version = models.PositiveSmallIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=10, choices=QuoteStatus.choices, default="sent"
    )
    price_group = models.ForeignKey(
        "fablab.PriceGroup",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("price group"),
    )
    vat_rate = models.DecimalField(
        _("VAT rate (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    net_total = models.DecimalField(_("total before VAT (EUR)"), max_digits=12, decimal_places=2)
    vat_total = models.DecimalField(_("VAT (EUR)"), max_digits=12, decimal_places=2)
    gross_total = models.DecimalField(_("total with VAT (EUR)"), max_digits=12, decimal_places=2)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    note = models.TextField(_("note"), max_length=3000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    decided_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    decision_note = models.TextField(_("answer"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ["project", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "version"], name="projects_quote_version_once"
            ),
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(status="accepted"),
                name="projects_quote_one_accepted",
            ),
            models.CheckConstraint(
                condition=Q(status__in=QuoteStatus.values), name="projects_quote_status_known"
            ),
            models.CheckConstraint(
                condition=Q(vat_rate__gte=0, vat_rate__lte=100), name="projects_quote_vat_range"
            ),
            models.CheckConstraint(
                condition=Q(net_total__gte=0, vat_total__gte=0, gross_total__gte=0),
                name="projects_quote_totals_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["accepted", "rejected"])
                | (Q(decided_at__isnull=False) & Q(decided_by__isnull=False)),
                name="projects_quote_answer_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} v{self.version}"


class QuoteLineKind(models.TextChoices):
    MACHINE = "machine", _("Machine hours")
    MATERIAL = "material", _("Material")
    STAFF = "staff", _("Staff hours")
    OTHER = "other", _("Other")


class QuoteLine(models.Model):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=8, choices=QuoteLineKind.choices)
    resource = models.ForeignKey(
        "fablab.Resource",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("machine"),
    )
    material = models.ForeignKey(
        "fablab.Material",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("material"),
    )
    description = models.CharField(_("description"), max_length=200)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=20)
    unit_price = models.DecimalField(_("unit price (EUR)"), max_digits=10, decimal_places=2)
    total = models.DecimalField(_("total (EUR)"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")
        ordering = ["quote", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=QuoteLineKind.values), name="projects_line_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="projects_line_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="projects_line_price_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(kind="machine") | Q(resource__isnull=False),
                name="projects_line_machine_named",
            ),
            models.CheckConstraint(
                condition=~Q(kind="material") | Q(material__isnull=False),
                name="projects_line_material_named",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description}: {self.quantity} x {self.unit_price}"


# --- Execution ----------------------------------------------------------------------------


class ProjectBooking(models.Model):
    """A FabLab booking made for a project: its check-in, check-out and materials count
    towards the project's actual cost."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="bookings")
    booking = models.OneToOneField(
        "fablab.Booking", on_delete=models.CASCADE, related_name="project_link"
    )

    class Meta:
        verbose_name = _("project booking")
        verbose_name_plural = _("project bookings")

    def __str__(self) -> str:
        return f"{self.project_id}: {self.booking_id}"


class StaffTime(models.Model):
    """Hours staff spent on a project, at the rate of the time."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="staff_times")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("day"))
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=2)
    hourly_rate = models.DecimalField(_("hourly rate (EUR)"), max_digits=8, decimal_places=2)
    note = models.CharField(_("what was done"), max_length=300, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("staff time")
        verbose_name_plural = _("staff times")
        ordering = ["day", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours__gt=0, hours__lte=24), name="projects_staff_time_hours"
            ),
            models.CheckConstraint(
                condition=Q(hourly_rate__gte=0), name="projects_staff_time_rate"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.hours} h"


# --- Gallery ------------------------------------------------------------------------------


class Licence(models.TextChoices):
    CC_BY = "cc-by", _("Creative Commons Attribution (CC BY 4.0)")
    CC_BY_SA = "cc-by-sa", _("Creative Commons Attribution-ShareAlike (CC BY-SA 4.0)")
    CC_BY_NC = "cc-by-nc", _("Creative Commons Attribution-NonCommercial (CC BY-NC 4.0)")
    CC_BY_NC_SA = (
        "cc-by-nc-sa",
        _("Creative Commons Attribution-NonCommercial-ShareAlike (CC BY-NC-SA 4.0)"),
    )
    CC_BY_ND = "cc-by-nd", _("Creative Commons Attribution-NoDerivatives (CC BY-ND 4.0)")
    CC_BY_NC_ND = (
        "cc-by-nc-nd",
        _("Creative Commons Attribution-NonCommercial-NoDerivatives (CC BY-NC-ND 4.0)"),
    )
    CC0 = "cc0", _("Public domain dedication (CC0 1.0)")
    ALL_RIGHTS_RESERVED = "all-rights-reserved", _("All rights reserved")


class DocumentationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Documentation(TimeStampedModel):
    """A documented project in the gallery: how something was made, step by step. Written
    by a maker or an organisation, about one of the FabLab's projects or their own."""

    Status = DocumentationStatus

    slug = models.SlugField(_("slug"), max_length=90, unique=True)
    title = models.CharField(_("title"), max_length=160)
    summary = models.TextField(_("summary"), max_length=1000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="documentations",
        verbose_name=_("author"),
    )
    organisation = models.ForeignKey(
        "cluster.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="documentations",
        verbose_name=_("organisation"),
    )
    project = models.OneToOneField(
        Project,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="documentation",
        verbose_name=_("prototyping project"),
    )
    site = models.ForeignKey(
        "fablab.Site",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="documentations",
        verbose_name=_("site"),
    )
    sector = models.ForeignKey(
        "cluster.Sector",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="documentations",
        verbose_name=_("sector"),
    )
    machines = models.ManyToManyField(
        "fablab.Resource", blank=True, related_name="documentations", verbose_name=_("machines")
    )
    materials = models.ManyToManyField(
        "fablab.Material",
        blank=True,
        related_name="documentations",
        verbose_name=_("materials"),
    )
    licence = models.CharField(
        _("licence"), max_length=20, choices=Licence.choices, default=Licence.CC_BY_SA
    )
    cover = models.ImageField(_("cover picture"), upload_to="gallery/%Y/", blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=DocumentationStatus.choices, default="draft"
    )
    # Copied from the project by the services: the database refuses to publish it.
    confidential = models.BooleanField(_("confidential"), default=False, editable=False)
    consent_at = models.DateTimeField(_("consent to publish given at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # Normalised text for search, rebuilt by the services.
    search_text = models.TextField(editable=False, default="")

    class Meta:
        verbose_name = _("documented project")
        verbose_name_plural = _("documented projects")
        ordering = ["-published_at", "-pk"]
        indexes = [models.Index(fields=["status", "published_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=DocumentationStatus.values),
                name="projects_doc_status_known",
            ),
            models.CheckConstraint(
                condition=Q(licence__in=Licence.values), name="projects_doc_licence_known"
            ),
            models.CheckConstraint(
                condition=~Q(status="published")
                | (
                    Q(consent_at__isnull=False)
                    & Q(published_at__isnull=False)
                    & Q(confidential=False)
                ),
                name="projects_doc_published_with_consent_never_confidential",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_public(self) -> bool:
        return self.status == DocumentationStatus.PUBLISHED


class Step(models.Model):
    documentation = models.ForeignKey(Documentation, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("position"))
    title = models.CharField(_("title"), max_length=160)
    body = models.TextField(_("what to do"), max_length=10000)
    image = models.ImageField(_("picture"), upload_to="gallery/%Y/", blank=True)

    class Meta:
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        ordering = ["documentation", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["documentation", "position"], name="projects_step_position_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"


class DocumentationFile(models.Model):
    """A file shared with a documentation (CAD, cutting file, code), public with it."""

    documentation = models.ForeignKey(Documentation, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(_("file"), upload_to="gallery/files/%Y/")
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("documentation file")
        verbose_name_plural = _("documentation files")
        ordering = ["documentation", "pk"]

    def __str__(self) -> str:
        return self.name


class Collaborator(models.Model):
    """Someone invited by e-mail to write a documentation with its author. The invitation
    link's token is stored only as its digest."""

    documentation = models.ForeignKey(
        Documentation, on_delete=models.CASCADE, related_name="collaborators"
    )
    email = models.EmailField(_("e-mail"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="documentation_collaborations",
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    invited_at = models.DateTimeField(_("invited at"), auto_now_add=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("collaborator")
        verbose_name_plural = _("collaborators")
        ordering = ["documentation", "invited_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["documentation", "email"], name="projects_collaborator_once"
            ),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(user__isnull=False),
                name="projects_collaborator_accepted_by_user",
            ),
        ]

    def __str__(self) -> str:
        return self.email
