"""The cluster: reference data (sectors, NACE classes, communes, competences) and organisations."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
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
