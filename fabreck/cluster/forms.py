from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from fabreck.cluster.models import (
    Commune,
    Competence,
    NaceClass,
    Organisation,
    OrganisationPerson,
    Sector,
)
from fabreck.cluster.selectors import SORTS, DirectoryFilters


def directory_filters_from(params: QueryDict) -> DirectoryFilters:
    """The directory's query string. Unknown or malformed values are dropped, never a 500."""
    try:
        page = max(1, min(int(params.get("page") or 1), 100_000))
    except ValueError:
        page = 1
    sizes, kinds = set(Organisation.Size.values), set(Organisation.Kind.values)
    return DirectoryFilters(
        query=(params.get("q") or "")[:200],
        sectors=tuple(params.getlist("sector"))[:10],
        competences=tuple(params.getlist("competence"))[:20],
        communes=tuple(params.getlist("commune"))[:20],
        sizes=tuple(v for v in params.getlist("size") if v in sizes),
        kinds=tuple(v for v in params.getlist("kind") if v in kinds),
        sort=params.get("sort") if params.get("sort") in SORTS else "relevance",
        page=page,
        incubated=params.get("incubated") in ("1", "true", "True", "on", "yes"),
    )


IMAGE_MAX_BYTES = 2 * 1024 * 1024
IMAGE_FORMATS = {"PNG", "JPEG", "WEBP"}


def _image_field(label: str) -> forms.ImageField:
    return forms.ImageField(
        label=label,
        required=False,
        help_text=_("PNG, JPEG or WebP, at most 2 MB."),
        error_messages={
            "invalid_image": _("This file is not an image. Upload a PNG, JPEG or WebP file.")
        },
        validators=[FileExtensionValidator(["png", "jpg", "jpeg", "webp"])],
    )


def _image_checked(image):
    """Pillow already refused what is not an image; refuse the large and the exotic."""
    if image and image.size > IMAGE_MAX_BYTES:
        raise ValidationError(_("The image is too large: at most 2 MB."))
    if image and getattr(image, "image", None) and image.image.format not in IMAGE_FORMATS:
        raise ValidationError(_("This file is not an image. Upload a PNG, JPEG or WebP file."))
    return image


class ApplicationForm(forms.Form):
    name = forms.CharField(label=_("Name of the organisation"), max_length=200)
    slug = forms.SlugField(
        label=_("Address of the profile"),
        max_length=80,
        required=False,
        help_text=_("Letters, digits and hyphens; made from the name when left empty."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Organisation.Kind.choices)
    legal_form = forms.CharField(label=_("Legal form"), max_length=60, required=False)
    size_band = forms.ChoiceField(label=_("Size"), choices=Organisation.Size.choices)
    headcount = forms.IntegerField(
        label=_("Headcount"), min_value=0, max_value=1_000_000, required=False
    )
    founded_year = forms.IntegerField(
        label=_("Founding year"), min_value=1800, max_value=2100, required=False
    )
    street = forms.CharField(label=_("Street and number"), max_length=200, required=False)
    postcode = forms.RegexField(
        label=_("Postcode"),
        regex=r"^(L-)?\d{4}$",
        required=False,
        error_messages={"invalid": _("A Luxembourg postcode has four digits, e.g. L-4365.")},
    )
    locality = forms.CharField(label=_("Locality"), max_length=100, required=False)
    commune = forms.ModelChoiceField(
        label=_("Commune"),
        queryset=Commune.objects.all(),
        to_field_name="slug",
        error_messages={
            "invalid_choice": _("Unknown commune. Choose one of Luxembourg's communes.")
        },
    )
    email = forms.EmailField(label=_("Contact e-mail"), required=False)
    phone = forms.RegexField(
        label=_("Contact phone"),
        regex=r"^\+?[0-9 ()./-]{4,31}$",
        required=False,
        error_messages={"invalid": _("Enter a phone number such as +352 621 123 456.")},
    )
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    linkedin = forms.URLField(label=_("LinkedIn page"), required=False, assume_scheme="https")
    instagram = forms.URLField(label=_("Instagram page"), required=False, assume_scheme="https")
    facebook = forms.URLField(label=_("Facebook page"), required=False, assume_scheme="https")
    logo = _image_field(_("Logo"))
    sectors = forms.ModelMultipleChoiceField(
        label=_("Sectors"), queryset=Sector.objects.all(), to_field_name="slug"
    )
    primary_nace = forms.ModelChoiceField(
        label=_("Main activity (NACE class)"),
        queryset=NaceClass.objects.all(),
        to_field_name="code",
        error_messages={"invalid_choice": _("Unknown NACE code. Choose a class from the list.")},
    )
    secondary_nace = forms.ModelMultipleChoiceField(
        label=_("Other activities (NACE classes)"),
        queryset=NaceClass.objects.all(),
        to_field_name="code",
        required=False,
        error_messages={"invalid_choice": _("Unknown NACE code. Choose a class from the list.")},
    )
    competences = forms.ModelMultipleChoiceField(
        label=_("Competences"),
        queryset=Competence.objects.filter(is_active=True),
        to_field_name="slug",
        required=False,
    )
    keywords = forms.CharField(
        label=_("Keywords"), max_length=500, required=False, help_text=_("Comma-separated.")
    )
    description_en = forms.CharField(
        label=_("Description in English"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    description_fr = forms.CharField(
        label=_("Description in French"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    description_de = forms.CharField(
        label=_("Description in German"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    directory_consent = forms.BooleanField(
        label=_("Show our profile in the public directory once we are members"), required=False
    )
    show_email = forms.BooleanField(label=_("Show the contact e-mail"), required=False)
    show_phone = forms.BooleanField(label=_("Show the contact phone"), required=False)
    show_address = forms.BooleanField(
        label=_("Show the street address"), required=False, initial=True
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sectors"].label_from_instance = lambda s: s.name
        self.fields["competences"].label_from_instance = lambda c: c.label
        for name in ("primary_nace", "secondary_nace"):
            self.fields[name].label_from_instance = lambda n: f"{n.code} {n.label}"

    def clean_logo(self):
        return _image_checked(self.cleaned_data.get("logo"))

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(f"description_{code}") for code in ("en", "fr", "de")):
            raise ValidationError(_("Describe the organisation in at least one language."))
        return cleaned


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[
            (Organisation.Status.UNDER_REVIEW, _("Start the review")),
            (Organisation.Status.MEMBER, _("Approve")),
            (Organisation.Status.REFUSED, _("Refuse")),
            (Organisation.Status.SUSPENDED, _("Suspend")),
            (Organisation.Status.LAPSED, _("Mark as lapsed")),
        ]
    )
    reason = forms.CharField(
        label=_("Reason (sent to the organisation)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[
            (OrganisationPerson.Role.MEMBER, _("Member")),
            (OrganisationPerson.Role.ADMIN, _("Admin (can edit the profile and invite people)")),
        ],
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=OrganisationPerson.Role.choices)


class PortfolioItemForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=160)
    image = _image_field(_("Image"))
    link = forms.URLField(label=_("Link"), required=False, assume_scheme="https")
    year = forms.IntegerField(label=_("Year"), min_value=1900, max_value=2100, required=False)

    def clean_image(self):
        return _image_checked(self.cleaned_data.get("image"))


# --- Collaboration requests (issue 3, item 6) -------------------------------------------
# Imports of this section stay here so that the section merges as one block.
from fabreck.cluster.models import CollaborationRequest  # noqa: E402
from fabreck.cluster.selectors import CollaborationFilters  # noqa: E402


def collaboration_filters_from(params: QueryDict) -> CollaborationFilters:
    """The collaboration list's query string (the page's and the API's). Unknown or
    malformed values are dropped, never a 500."""
    try:
        page = max(1, min(int(params.get("page") or 1), 100_000))
    except ValueError:
        page = 1
    kind = params.get("kind") or ""
    return CollaborationFilters(
        kind=kind if kind in CollaborationRequest.Kind.values else "",
        competences=tuple(v for v in params.getlist("competence") if v)[:20],
        sectors=tuple(v for v in params.getlist("sector") if v)[:10],
        query=(params.get("q") or "")[:200],
        own=(params.get("own") or "") in {"1", "true", "on"},
        page=page,
    )


class CollaborationRequestForm(forms.Form):
    """Post or edit a request. The service checks the rules; the form only reads types."""

    organisation = forms.ModelChoiceField(
        label=_("On behalf of"),
        queryset=Organisation.objects.none(),
        to_field_name="slug",
        empty_label=None,
        error_messages={
            "invalid_choice": _("Choose one of your member organisations."),
            "required": _("Choose one of your member organisations."),
        },
    )
    kind = forms.ChoiceField(
        label=_("Kind of request"),
        choices=CollaborationRequest.Kind.choices,
        initial=CollaborationRequest.Kind.SEEK,
        error_messages={"required": _("Say whether you seek or offer something.")},
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        error_messages={"required": _("Give the request a title.")},
    )
    competences = forms.ModelMultipleChoiceField(
        label=_("Competences"),
        queryset=Competence.objects.filter(is_active=True),
        to_field_name="slug",
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Hold Ctrl (⌘ on a Mac) to choose several."),
        error_messages={"invalid_choice": _("Unknown competence. Choose one from the list.")},
    )
    deadline = forms.DateField(
        label=_("Deadline"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        error_messages={"invalid": _("Enter a date such as 2026-12-31.")},
    )
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": 5000}),
        required=False,
    )

    def __init__(self, *args, organisations=None, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["competences"].label_from_instance = lambda c: c.label
        if editing:
            del self.fields["organisation"]
        else:
            self.fields["organisation"].queryset = organisations
            self.fields["organisation"].label_from_instance = lambda o: o.name


class CollaborationMessageForm(forms.Form):
    """A message to relay. Its length and content are checked by the service."""

    body = forms.CharField(
        label=_("Your message"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": 5000}),
        help_text=_(
            "Sent by e-mail through Fabreck: the other side does not see your e-mail address, "
            "and answers here."
        ),
    )


# --- Calls for projects and consortia ------------------------------------------------

from fabreck.cluster.models import Call  # noqa: E402
from fabreck.cluster.selectors import CallFilters  # noqa: E402


def call_filters_from(params: QueryDict) -> CallFilters:
    """The calls list's query string (page and API alike); bad values are dropped."""
    try:
        page = max(1, min(int(params.get("page") or 1), 100_000))
    except ValueError:
        page = 1
    kinds = set(Call.Kind.values)
    return CallFilters(
        query=(params.get("q") or "")[:200],
        kinds=tuple(v for v in params.getlist("kind") if v in kinds),
        sectors=tuple(params.getlist("sector"))[:10],
        competences=tuple(params.getlist("competence"))[:20],
        open_only=(params.get("open") or "1").strip().lower() not in {"0", "false", "no", "all"},
        page=page,
    )


class CallForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Call.Kind.choices)
    title_en = forms.CharField(label=_("Title in English"), max_length=200, required=False)
    title_fr = forms.CharField(label=_("Title in French"), max_length=200, required=False)
    title_de = forms.CharField(label=_("Title in German"), max_length=200, required=False)
    summary_en = forms.CharField(label=_("Summary in English"), max_length=500, required=False)
    summary_fr = forms.CharField(label=_("Summary in French"), max_length=500, required=False)
    summary_de = forms.CharField(label=_("Summary in German"), max_length=500, required=False)
    description_en = forms.CharField(
        label=_("Description in English"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    description_fr = forms.CharField(
        label=_("Description in French"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    description_de = forms.CharField(
        label=_("Description in German"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    funder = forms.CharField(label=_("Funder or issuer"), max_length=200)
    budget = forms.DecimalField(
        label=_("Budget (EUR)"), min_value=0, max_digits=14, decimal_places=2, required=False
    )
    deadline = forms.DateTimeField(
        label=_("Deadline"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        help_text=_("Luxembourg time."),
    )
    sectors = forms.ModelMultipleChoiceField(
        label=_("Sectors"), queryset=Sector.objects.all(), to_field_name="slug", required=False
    )
    competences = forms.ModelMultipleChoiceField(
        label=_("Competences"),
        queryset=Competence.objects.filter(is_active=True),
        to_field_name="slug",
        required=False,
        help_text=_("Members with one of these competences receive the call in their digest."),
    )
    external_url = forms.URLField(label=_("External link"), required=False, assume_scheme="https")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sectors"].label_from_instance = lambda s: s.name
        self.fields["competences"].label_from_instance = lambda c: c.label

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(f"title_{code}") for code in ("en", "fr", "de")):
            raise ValidationError(_("Give the call a title in at least one language."))
        return cleaned


def call_form_initial(call: Call) -> dict:
    names = [f"{b}_{c}" for b in ("title", "summary", "description") for c in ("en", "fr", "de")]
    return {
        "kind": call.kind,
        "funder": call.funder,
        "budget": call.budget,
        "deadline": call.deadline,
        "external_url": call.external_url,
        "sectors": list(call.sectors.all()),
        "competences": list(call.competences.all()),
        **{name: getattr(call, name) for name in names},
    }


class CallDocumentForm(forms.Form):
    title = forms.CharField(label=_("Title of the document"), max_length=200, required=False)
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, DOCX, XLSX, ODT or ZIP, at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.docx,.xlsx,.odt,.zip"}),
    )


class OrganisationSlugField(forms.SlugField):
    """An organisation named by the address of its profile."""

    def clean(self, value):
        slug = super().clean(value)
        if not slug:
            return None
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None:
            raise ValidationError(_("No organisation has the address “%(slug)s”.") % {"slug": slug})
        return organisation


class ConsortiumCreateForm(forms.Form):
    lead = forms.ModelChoiceField(
        label=_("Lead organisation"), queryset=Organisation.objects.none(), to_field_name="slug"
    )
    name = forms.CharField(label=_("Name of the consortium"), max_length=200)

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        organisations = list(organisations)
        self.fields["lead"].queryset = Organisation.objects.filter(
            pk__in=[o.pk for o in organisations]
        )
        # Rendered from the list already read: no query for the select's options.
        self.fields["lead"].choices = [(o.slug, o.name) for o in organisations]


class InviteForm(forms.Form):
    organisation = OrganisationSlugField(
        label=_("Member organisation to invite"),
        max_length=80,
        help_text=_("The address of its profile in the directory, e.g. atelier-nova."),
    )
