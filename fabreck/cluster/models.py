"""The cluster: reference data (sectors, NACE classes, communes, competences) and organisations."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fabreck.core.i18n import localized
from fabreck.core.models import TimeStampedModel


class Sector(models.Model):
    """One of the eight creative sectors the cluster groups."""

    slug = models.SlugField(_("slug"), unique=True)
    name_en = models.CharField(_("name (English)"), max_length=80)
    name_fr = models.CharField(_("name (French)"), max_length=80)
    name_de = models.CharField(_("name (German)"), max_length=80)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return localized(self, "name")


class NaceClass(models.Model):
    """A NACE Rev. 2 class of the creative-sector mapping."""

    code = models.CharField(
        _("code"),
        max_length=5,
        unique=True,
        validators=[RegexValidator(r"^\d\d\.\d\d$", _("A NACE class code looks like 59.11."))],
    )
    rev21_code = models.CharField(_("NACE Rev. 2.1 code"), max_length=5, blank=True)
    label_en = models.CharField(_("label (English)"), max_length=255)
    label_fr = models.CharField(_("label (French)"), max_length=255)
    label_de = models.CharField(_("label (German)"), max_length=255)
    sectors = models.ManyToManyField(
        Sector, through="NaceSector", related_name="nace_classes", verbose_name=_("sectors")
    )

    class Meta:
        verbose_name = _("NACE class")
        verbose_name_plural = _("NACE classes")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.label}"

    @property
    def label(self) -> str:
        return localized(self, "label")


class NaceSector(models.Model):
    class Link(models.TextChoices):
        CORE = "core", _("core")
        RELATED = "related", _("related")

    nace_class = models.ForeignKey(NaceClass, on_delete=models.CASCADE)
    sector = models.ForeignKey(Sector, on_delete=models.CASCADE)
    link = models.CharField(_("link"), max_length=8, choices=Link.choices)

    class Meta:
        verbose_name = _("sector of a NACE class")
        verbose_name_plural = _("sectors of NACE classes")
        constraints = [
            models.UniqueConstraint(
                fields=["nace_class", "sector"], name="cluster_nace_sector_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.nace_class_id} / {self.sector_id} ({self.link})"


class Commune(models.Model):
    slug = models.SlugField(_("slug"), unique=True)
    name = models.CharField(_("name"), max_length=80, unique=True)
    canton = models.CharField(_("canton"), max_length=40)

    class Meta:
        verbose_name = _("commune")
        verbose_name_plural = _("communes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Competence(models.Model):
    """A competence of the taxonomy, with labels and synonyms in the three languages.

    Synonyms are what makes search cross-language: a query word is expanded into the
    competences whose labels or synonyms, in any language, start with it, so "menuisier"
    finds an organisation that wrote "Schreinerei".
    """

    slug = models.SlugField(_("slug"), unique=True)
    sector = models.ForeignKey(
        Sector, on_delete=models.PROTECT, related_name="competences", verbose_name=_("sector")
    )
    related_sectors = models.ManyToManyField(
        Sector, blank=True, related_name="related_competences", verbose_name=_("related sectors")
    )
    label_en = models.CharField(_("label (English)"), max_length=120)
    label_fr = models.CharField(_("label (French)"), max_length=120)
    label_de = models.CharField(_("label (German)"), max_length=120)
    synonyms_en = models.TextField(
        _("synonyms (English)"), blank=True, help_text=_("comma-separated")
    )
    synonyms_fr = models.TextField(
        _("synonyms (French)"), blank=True, help_text=_("comma-separated")
    )
    synonyms_de = models.TextField(
        _("synonyms (German)"), blank=True, help_text=_("comma-separated")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("competence")
        verbose_name_plural = _("competences")
        ordering = ["label_en"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return localized(self, "label")


def competence_search_token(competence_id: int) -> str:
    """How a competence appears in an organisation's search text: one short token.

    Queries are expanded through the taxonomy (selectors.competences_matching), so labels
    and synonyms in every language find the organisation without being copied into it.
    """
    return f"cmp{competence_id}"


postcode_validator = RegexValidator(
    r"^(L-)?\d{4}$", _("A Luxembourg postcode has four digits, e.g. L-4365.")
)


class OrganisationKind(models.TextChoices):
    COMPANY = "company", _("Company")
    STARTUP = "startup", _("Startup")
    FREELANCER = "freelancer", _("Freelancer")
    NONPROFIT = "nonprofit", _("Nonprofit")
    PUBLIC_BODY = "public_body", _("Public body")
    SCHOOL = "school", _("School")
    RESEARCH_BODY = "research_body", _("Research body")
    LARGE_GROUP = "large_group", _("Large group")


class OrganisationSize(models.TextChoices):
    SOLO = "1", _("1 person")
    MICRO = "2-9", _("2 to 9 people")
    SMALL = "10-49", _("10 to 49 people")
    MEDIUM = "50-249", _("50 to 249 people")
    LARGE = "250+", _("250 people or more")


class MembershipStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    UNDER_REVIEW = "under_review", _("Under review")
    MEMBER = "member", _("Member")
    SUSPENDED = "suspended", _("Suspended")
    LAPSED = "lapsed", _("Lapsed")
    REFUSED = "refused", _("Refused")


class Organisation(TimeStampedModel):
    Kind = OrganisationKind
    Size = OrganisationSize
    Status = MembershipStatus

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    legal_form = models.CharField(_("legal form"), max_length=60, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=OrganisationKind.choices)
    size_band = models.CharField(_("size"), max_length=8, choices=OrganisationSize.choices)
    headcount = models.PositiveIntegerField(_("headcount"), null=True, blank=True)
    founded_year = models.PositiveSmallIntegerField(
        _("founding year"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1800), MaxValueValidator(2100)],
    )
    street = models.CharField(_("street and number"), max_length=200, blank=True)
    postcode = models.CharField(
        _("postcode"), max_length=6, blank=True, validators=[postcode_validator]
    )
    locality = models.CharField(_("locality"), max_length=100, blank=True)
    commune = models.ForeignKey(
        Commune, on_delete=models.PROTECT, related_name="organisations", verbose_name=_("commune")
    )
    email = models.EmailField(_("contact e-mail"), blank=True)
    phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    website = models.URLField(_("website"), blank=True)
    linkedin = models.URLField(_("LinkedIn"), blank=True)
    instagram = models.URLField(_("Instagram"), blank=True)
    facebook = models.URLField(_("Facebook"), blank=True)
    logo = models.ImageField(_("logo"), upload_to="cluster/logos/", blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_de = models.TextField(_("description (German)"), blank=True)
    sectors = models.ManyToManyField(
        Sector, related_name="organisations", verbose_name=_("sectors")
    )
    competences = models.ManyToManyField(
        Competence, blank=True, related_name="organisations", verbose_name=_("competences")
    )
    keywords = models.CharField(
        _("keywords"), max_length=500, blank=True, help_text=_("Free keywords, comma-separated.")
    )
    nace_classes = models.ManyToManyField(
        NaceClass,
        through="OrganisationNace",
        related_name="organisations",
        verbose_name=_("NACE classes"),
    )

    # Membership
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=MembershipStatus.choices,
        default=MembershipStatus.APPLIED,
    )
    status_reason = models.TextField(_("reason for the last decision"), blank=True)
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    member_since = models.DateField(_("member since"), null=True, blank=True)

    # What the directory may show
    directory_consent = models.BooleanField(_("appear in the public directory"), default=False)
    show_email = models.BooleanField(_("show the contact e-mail"), default=False)
    show_phone = models.BooleanField(_("show the contact phone"), default=False)
    show_address = models.BooleanField(_("show the street address"), default=True)
    # Set by the incubator while the startup is incubated: the directory shows and filters it.
    incubated = models.BooleanField(_("incubated"), default=False)

    # Normalised (lower-case, accent-free) text for search, rebuilt by the services.
    # PostgreSQL keeps a weighted tsvector generated from these columns (migration 0002).
    search_name = models.TextField(editable=False, default="")
    search_competences = models.TextField(editable=False, default="")
    search_keywords = models.TextField(editable=False, default="")
    search_description = models.TextField(editable=False, default="")

    people = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="OrganisationPerson",
        related_name="organisations",
        verbose_name=_("people"),
    )

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        indexes = [models.Index(fields=["status", "directory_consent"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(founded_year__isnull=True)
                | Q(founded_year__gte=1800, founded_year__lte=2100),
                name="cluster_org_founded_year_plausible",
            ),
            models.CheckConstraint(
                condition=Q(status__in=MembershipStatus.values), name="cluster_org_status_known"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=OrganisationKind.values), name="cluster_org_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(size_band__in=OrganisationSize.values), name="cluster_org_size_known"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def description(self) -> str:
        return localized(self, "description")

    @property
    def is_public(self) -> bool:
        return self.status == self.Status.MEMBER and self.directory_consent

    @property
    def social_links(self) -> list[tuple[str, str]]:
        links = (
            (self.linkedin, "LinkedIn"),
            (self.instagram, "Instagram"),
            (self.facebook, "Facebook"),
        )
        return [(url, label) for url, label in links if url]


# What an organisation's own people write on its profile (the rest is the cluster's).
ORGANISATION_PROFILE_FIELDS = (
    "name", "kind", "size_band", "commune", "legal_form", "headcount", "founded_year",
    "street", "postcode", "locality", "email", "phone", "website", "linkedin", "instagram",
    "facebook", "description_en", "description_fr", "description_de", "keywords",
    "directory_consent", "show_email", "show_phone", "show_address",
)  # fmt: skip


class OrganisationNace(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    nace_class = models.ForeignKey(
        NaceClass, on_delete=models.PROTECT, verbose_name=_("NACE class")
    )
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("NACE class of an organisation")
        verbose_name_plural = _("NACE classes of organisations")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "nace_class"], name="cluster_org_nace_once"
            ),
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(is_primary=True),
                name="cluster_org_one_primary_nace",
            ),
        ]

    def __str__(self) -> str:
        primary = " (primary)" if self.is_primary else ""
        return f"{self.organisation_id}: {self.nace_class_id}{primary}"


class OrganisationPerson(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        ADMIN = "admin", _("Admin")
        MEMBER = "member", _("Member")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organisation_memberships"
    )
    role = models.CharField(_("role"), max_length=8, choices=Role.choices)
    joined_at = models.DateTimeField(_("joined at"), auto_now_add=True)

    class Meta:
        verbose_name = _("person of an organisation")
        verbose_name_plural = _("people of organisations")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="cluster_org_person_once")
        ]
        indexes = [models.Index(fields=["user", "role"])]

    def __str__(self) -> str:
        return f"{self.user}, {self.organisation} ({self.get_role_display()})"

    @property
    def can_manage(self) -> bool:
        return self.role in {self.Role.OWNER, self.Role.ADMIN}


class PortfolioItem(models.Model):
    """A piece of work an organisation shows on its profile."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="portfolio_items"
    )
    title = models.CharField(_("title"), max_length=160)
    image = models.ImageField(_("image"), upload_to="cluster/portfolio/", blank=True)
    link = models.URLField(_("link"), blank=True)
    year = models.PositiveSmallIntegerField(
        _("year"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1900), MaxValueValidator(2100)],
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("portfolio item")
        verbose_name_plural = _("portfolio items")
        ordering = ["position", "-year", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(year__isnull=True) | Q(year__gte=1900, year__lte=2100),
                name="cluster_portfolio_year_plausible",
            )
        ]

    def __str__(self) -> str:
        return self.title


class OrganisationInvitation(models.Model):
    """An e-mail invitation to join an organisation's people with a role.

    Only a SHA-256 digest of the secret link is kept, as for API tokens: a leaked
    database does not let anyone join an organisation.
    """

    Role = OrganisationPerson.Role

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("e-mail"))  # stored lower-case by the service
    role = models.CharField(_("role"), max_length=8, choices=OrganisationPerson.Role.choices)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted by"),
    )
    revoked_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation to an organisation")
        verbose_name_plural = _("invitations to organisations")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "email"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="cluster_invitation_one_pending",
            ),
            models.CheckConstraint(
                condition=Q(role__in=["admin", "member"]), name="cluster_invitation_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation_id} ({self.role})"


# --- Collaboration requests (issue 3, item 6) -------------------------------------------


class CollaborationKind(models.TextChoices):
    SEEK = "seek", _("Seeking")
    OFFER = "offer", _("Offering")


class CollaborationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class CollaborationRequest(TimeStampedModel):
    """What a member organisation seeks or offers; members answer through the platform."""

    Kind = CollaborationKind
    Status = CollaborationStatus

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="collaboration_requests",
        verbose_name=_("organisation"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="collaboration_requests",
        verbose_name=_("author"),
    )
    kind = models.CharField(_("kind"), max_length=8, choices=CollaborationKind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    competences = models.ManyToManyField(
        Competence,
        blank=True,
        related_name="collaboration_requests",
        verbose_name=_("competences"),
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=CollaborationStatus.choices,
        default=CollaborationStatus.OPEN,
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Normalised (lower-case, accent-free) title and description, rebuilt by the services.
    search_text = models.TextField(editable=False, default="")

    class Meta:
        verbose_name = _("collaboration request")
        verbose_name_plural = _("collaboration requests")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "-created_at"], name="cluster_collab_status_new")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=CollaborationKind.values), name="cluster_collab_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(status__in=CollaborationStatus.values),
                name="cluster_collab_status_known",
            ),
            # A closed request says when; an open one has no closing date.
            models.CheckConstraint(
                condition=Q(status=CollaborationStatus.OPEN, closed_at__isnull=True)
                | Q(status=CollaborationStatus.CLOSED, closed_at__isnull=False),
                name="cluster_collab_closed_at_iff_closed",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == CollaborationStatus.OPEN


class CollaborationMessage(models.Model):
    """A message between two organisations about a request, relayed by e-mail.

    One side of every conversation is the request's organisation; a conversation is the
    request and the other organisation. Addresses are never shown: people answer on the
    platform.
    """

    request = models.ForeignKey(
        CollaborationRequest,
        on_delete=models.CASCADE,
        related_name="messages",
        verbose_name=_("collaboration request"),
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="collaboration_messages",
        verbose_name=_("sender"),
    )
    sender_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="collaboration_messages_sent",
        verbose_name=_("sender organisation"),
    )
    recipient_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="collaboration_messages_received",
        verbose_name=_("recipient organisation"),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replies",
        verbose_name=_("answer to"),
    )
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("collaboration message")
        verbose_name_plural = _("collaboration messages")
        ordering = ["created_at", "pk"]
        indexes = [
            # The rate limit counts a sender's recent messages.
            models.Index(fields=["sender", "created_at"], name="cluster_collab_msg_rate"),
            models.Index(
                fields=["request", "sender_organisation", "recipient_organisation", "created_at"],
                name="cluster_collab_msg_thread",
            ),
            models.Index(
                fields=["recipient_organisation", "created_at"], name="cluster_collab_msg_inbox"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(sender_organisation=models.F("recipient_organisation")),
                name="cluster_collab_msg_not_to_self",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sender_organisation_id} → {self.recipient_organisation_id}: {self.body[:40]}"


# --- Calls for projects and consortia ------------------------------------------------
# Cluster managers publish calls (tenders, grants, competitions); members declare interest
# and form consortia to answer together; a periodic digest tells members of calls that
# match their competences.

from django.utils import timezone  # noqa: E402  (kept with the section that needs it)


class CallKind(models.TextChoices):
    TENDER = "tender", _("Tender")
    GRANT = "grant", _("Grant")
    COMPETITION = "competition", _("Competition")


class CallStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    CLOSED = "closed", _("Closed")


class Call(TimeStampedModel):
    """A call for projects published by the cluster managers."""

    Kind = CallKind
    Status = CallStatus

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=CallKind.choices)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    title_fr = models.CharField(_("title (French)"), max_length=200, blank=True)
    title_de = models.CharField(_("title (German)"), max_length=200, blank=True)
    summary_en = models.CharField(_("summary (English)"), max_length=500, blank=True)
    summary_fr = models.CharField(_("summary (French)"), max_length=500, blank=True)
    summary_de = models.CharField(_("summary (German)"), max_length=500, blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_de = models.TextField(_("description (German)"), blank=True)
    funder = models.CharField(_("funder or issuer"), max_length=200)
    budget = models.DecimalField(
        _("budget (EUR)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    deadline = models.DateTimeField(_("deadline"))
    sectors = models.ManyToManyField(
        Sector, blank=True, related_name="calls", verbose_name=_("sectors")
    )
    competences = models.ManyToManyField(
        Competence, blank=True, related_name="calls", verbose_name=_("competences")
    )
    external_url = models.URLField(_("external link"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=CallStatus.choices, default=CallStatus.DRAFT
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    # Normalised (lower-case, accent-free) titles, summaries and funder, for search.
    search_text = models.TextField(editable=False, default="")

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["deadline", "slug"]
        indexes = [models.Index(fields=["status", "deadline"], name="cluster_call_status_deadline")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=CallKind.values), name="cluster_call_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(status__in=CallStatus.values), name="cluster_call_status_known"
            ),
            models.CheckConstraint(
                condition=Q(budget__isnull=True) | Q(budget__gte=0),
                name="cluster_call_budget_not_negative",
            ),
            # A call that has been published keeps the date it was.
            models.CheckConstraint(
                condition=Q(status=CallStatus.DRAFT) | Q(published_at__isnull=False),
                name="cluster_call_published_has_date",
            ),
            models.CheckConstraint(
                condition=~(Q(title_en="") & Q(title_fr="") & Q(title_de="")),
                name="cluster_call_has_a_title",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return localized(self, "title")

    @property
    def summary(self) -> str:
        return localized(self, "summary")

    @property
    def description(self) -> str:
        return localized(self, "description")


CALL_DOCUMENT_TYPES = ("pdf", "docx", "xlsx", "odt", "zip")
CALL_DOCUMENT_MAX_BYTES = 10 * 1024 * 1024


def call_document_path(document: CallDocument, filename: str) -> str:
    """Stored under a random name: the original name is kept in `filename` for downloads."""
    import uuid
    from pathlib import PurePath

    return f"cluster/calls/{document.call_id}/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()}"


class CallDocument(models.Model):
    call = models.ForeignKey(
        Call, on_delete=models.CASCADE, related_name="documents", verbose_name=_("call")
    )
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to=call_document_path, max_length=255)
    filename = models.CharField(_("original file name"), max_length=255)
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("document of a call")
        verbose_name_plural = _("documents of calls")
        ordering = ["uploaded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(size__lte=CALL_DOCUMENT_MAX_BYTES),
                name="cluster_call_document_size_limit",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def extension(self) -> str:
        return self.filename.rsplit(".", 1)[-1].lower() if "." in self.filename else ""


class CallInterest(models.Model):
    """A member organisation tells the cluster it means to answer a call."""

    call = models.ForeignKey(
        Call, on_delete=models.CASCADE, related_name="interests", verbose_name=_("call")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="call_interests",
        verbose_name=_("organisation"),
    )
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("declared by"),
    )
    declared_at = models.DateTimeField(_("declared at"), auto_now_add=True)

    class Meta:
        verbose_name = _("interest in a call")
        verbose_name_plural = _("interests in calls")
        ordering = ["declared_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["call", "organisation"], name="cluster_call_interest_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} → {self.call}"


class Consortium(TimeStampedModel):
    """Member organisations answering a call together, led by one of them."""

    call = models.ForeignKey(
        Call, on_delete=models.CASCADE, related_name="consortia", verbose_name=_("call")
    )
    name = models.CharField(_("name"), max_length=200)
    lead = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="consortia_led",
        verbose_name=_("lead organisation"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("consortium")
        verbose_name_plural = _("consortia")
        ordering = ["call", "name"]
        constraints = [
            models.UniqueConstraint(fields=["call", "lead"], name="cluster_consortium_one_per_lead")
        ]

    def __str__(self) -> str:
        return self.name


class ConsortiumMembershipStatus(models.TextChoices):
    INVITED = "invited", _("Invited")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    LEFT = "left", _("Left")


class ConsortiumMembership(models.Model):
    Status = ConsortiumMembershipStatus

    consortium = models.ForeignKey(
        Consortium,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("consortium"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="consortium_memberships",
        verbose_name=_("organisation"),
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ConsortiumMembershipStatus.choices,
        default=ConsortiumMembershipStatus.INVITED,
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    invited_at = models.DateTimeField(_("invited at"), default=timezone.now)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responded by"),
    )
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("member of a consortium")
        verbose_name_plural = _("members of consortia")
        ordering = ["invited_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["consortium", "organisation"], name="cluster_consortium_member_once"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ConsortiumMembershipStatus.values),
                name="cluster_consortium_member_status_known",
            ),
            # An invitation waits for an answer; every other status is one.
            models.CheckConstraint(
                condition=Q(status=ConsortiumMembershipStatus.INVITED, responded_at__isnull=True)
                | (~Q(status=ConsortiumMembershipStatus.INVITED) & Q(responded_at__isnull=False)),
                name="cluster_consortium_member_answer_dated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} in {self.consortium} ({self.get_status_display()})"


class CallDigestConsent(models.Model):
    """An organisation's admins asked for the periodic digest of matching calls."""

    organisation = models.OneToOneField(
        Organisation,
        on_delete=models.CASCADE,
        related_name="call_digest_consent",
        verbose_name=_("organisation"),
    )
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("given by"),
    )
    given_at = models.DateTimeField(_("given at"), auto_now_add=True)

    class Meta:
        verbose_name = _("consent to the call digest")
        verbose_name_plural = _("consents to the call digest")

    def __str__(self) -> str:
        return str(self.organisation)


class CallDigestSent(models.Model):
    """A call was listed in a digest to an organisation: never listed to it again."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    call = models.ForeignKey(
        Call, on_delete=models.CASCADE, related_name="+", verbose_name=_("call")
    )
    sent_at = models.DateTimeField(_("sent at"))

    class Meta:
        verbose_name = _("call sent in a digest")
        verbose_name_plural = _("calls sent in digests")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "call"], name="cluster_call_digest_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.call_id} → {self.organisation_id}"


# --- Search: the words of a competence ---------------------------------------------------


def competence_phrases_of(competence: Competence) -> list[list[str]]:
    """A competence's labels and synonyms in every language, each as its normalised words:
    what a query word or a need is compared with (selectors.competence_phrases)."""
    from fabreck.core.text import search_normalize

    texts = [competence.label_en, competence.label_fr, competence.label_de]
    for code in ("en", "fr", "de"):
        texts += getattr(competence, f"synonyms_{code}").split(",")
    return [search_normalize(text).split() for text in texts if text.strip()]


def competence_search_words(competence: Competence) -> str:
    """The distinct words of `competence_phrases_of`, as PostgreSQL's directory search
    table adds them to the text of each organisation having the competence."""
    return " ".join(
        dict.fromkeys(w for phrase in competence_phrases_of(competence) for w in phrase)
    )
