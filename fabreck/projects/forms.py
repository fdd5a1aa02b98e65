"""Forms of prototyping projects. Sections are appended per capability."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.template.defaultfilters import floatformat
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from fabreck.cluster.models import Competence, Organisation, OrganisationPerson, Sector
from fabreck.fablab.forms import MoveForm
from fabreck.fablab.models import Booking, MachineCategory, Material, Resource, Site
from fabreck.projects.models import BudgetRange, Licence, Project, ProjectStatus, QuoteLineKind
from fabreck.projects.selectors import (
    STATISTICS_MAX_YEARS,
    StaffQueueFilters,
    organisations_requesting_for,
    staff_sites_of,
    triage_leads,
)
from fabreck.projects.services import ProjectRequestData, attachments_check

# --- requests, triage and timeline --------------------------------------------------------


MAX_FILES_AT_ONCE = 10


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; each is checked by `attachments_check` (type, size)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        uploads = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        if len(uploads) > MAX_FILES_AT_ONCE:
            raise ValidationError(
                _("Send at most %(count)s files at once.") % {"count": MAX_FILES_AT_ONCE},
                code="too_many_files",
            )
        single = super().clean
        cleaned = [single(upload, initial) for upload in uploads]
        try:
            attachments_check(cleaned)
        except ValidationError as error:
            raise ValidationError(error.message_dict["attachments"]) from error
        return cleaned


def _attachments_field() -> MultipleFileField:
    from django.conf import settings

    return MultipleFileField(
        label=gettext_lazy("Files"),
        help_text=gettext_lazy(
            "Drawings, CAD files, pictures (several at once). Accepted: %(kinds)s; "
            "at most %(limit)s MB each."
        )
        % {
            "kinds": ", ".join(settings.PROJECTS_ATTACHMENT_EXTENSIONS),
            "limit": f"{settings.PROJECTS_ATTACHMENT_MAX_BYTES / 2**20:.0f}",
        },
        widget=MultipleFileInput(
            attrs={"accept": ",".join(f".{e}" for e in settings.PROJECTS_ATTACHMENT_EXTENSIONS)}
        ),
    )


class CompetenceMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Competence) -> str:
        return obj.label


class ProjectRequestForm(forms.Form):
    """A prototyping request. Also validates the API's requests: one set of rules."""

    organisation = forms.ModelChoiceField(
        label=gettext_lazy("On behalf of"),
        queryset=None,
        to_field_name="slug",
        required=False,
        empty_label=gettext_lazy("Myself, as an individual maker"),
        help_text=gettext_lazy("Only the organisations you own or administer."),
    )
    title = forms.CharField(
        label=gettext_lazy("Title"),
        max_length=160,
        help_text=gettext_lazy("A few words: what should be made?"),
    )
    goal = forms.CharField(
        label=gettext_lazy("Goal"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("What the prototype is for: the idea to validate, the use."),
    )
    description = forms.CharField(
        label=gettext_lazy("Description"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("Sizes, shapes, finish, constraints: all that helps to quote."),
    )
    machine_categories = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Machines needed"),
        queryset=MachineCategory.objects.order_by("position", "slug"),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    competences = CompetenceMultipleChoiceField(
        label=gettext_lazy("Competences needed"),
        queryset=Competence.objects.filter(is_active=True).order_by("label_en"),
        to_field_name="slug",
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=gettext_lazy("Hold Ctrl (or Cmd) to choose several."),
    )
    materials = forms.CharField(
        label=gettext_lazy("Materials"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    quantity = forms.IntegerField(
        label=gettext_lazy("Quantity"),
        min_value=1,
        max_value=1_000_000,
        initial=1,
        help_text=gettext_lazy(
            "How many pieces. The FabLab prototypes; it does not produce series."
        ),
    )
    deadline = forms.DateField(
        label=gettext_lazy("Deadline"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    budget_range = forms.ChoiceField(
        label=gettext_lazy("Budget"), choices=BudgetRange.choices, initial=BudgetRange.UNKNOWN
    )
    confidential = forms.BooleanField(
        label=gettext_lazy("Confidential (under NDA): never shown in public"), required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        managed = organisations_requesting_for(user=user)
        self.fields["organisation"].queryset = managed
        if not managed.exists():
            del self.fields["organisation"]
        self.fields["attachments"] = _attachments_field()

    def clean_deadline(self):
        deadline = self.cleaned_data.get("deadline")
        if deadline is not None and deadline < timezone.localdate():
            raise ValidationError(_("The deadline cannot be in the past."), code="deadline_past")
        return deadline

    @property
    def chosen_organisation(self):
        return self.cleaned_data.get("organisation")

    def request_data(self) -> ProjectRequestData:
        data = self.cleaned_data
        return ProjectRequestData(
            title=data["title"],
            goal=data["goal"],
            description=data["description"],
            machine_categories=list(data.get("machine_categories") or []),
            competences=list(data.get("competences") or []),
            materials=data.get("materials", ""),
            quantity=data["quantity"],
            deadline=data.get("deadline"),
            budget_range=data["budget_range"],
            confidential=data.get("confidential", False),
        )


class TriageForm(forms.Form):
    site = forms.ModelChoiceField(
        label=gettext_lazy("Site"),
        queryset=Site.objects.order_by("name"),
        to_field_name="slug",
        empty_label=gettext_lazy("Choose a site"),
    )
    lead = forms.TypedChoiceField(label=gettext_lazy("Staff lead"), coerce=int)
    note = forms.CharField(
        label=gettext_lazy("Note for the requester"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, project: Project | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        groups = triage_leads(sites=self.fields["site"].queryset)
        self.fields["lead"].choices = [("", _("Choose a staff lead"))] + [
            (site.name, [(person.pk, person.display_name) for person in people])
            for site, people in groups
            if people
        ]
        if project is not None and not self.is_bound:
            if project.site_id:
                self.initial.setdefault("site", project.site.slug)
            if project.lead_id:
                self.initial.setdefault("lead", project.lead_id)

    def clean_lead(self):
        pk = self.cleaned_data["lead"]
        lead = get_user_model().objects.filter(pk=pk).first()
        if lead is None:
            raise ValidationError(_("Choose a staff lead."), code="lead_required")
        return lead


SERIES_PRODUCTION = "series"
DECLINE_REASONS = [
    (SERIES_PRODUCTION, gettext_lazy("Series production is outside the FabLab's charter")),
    ("other", pgettext_lazy("reason", "Another reason")),
]


class DeclineForm(forms.Form):
    reason_choice = forms.ChoiceField(
        label=gettext_lazy("Reason"),
        choices=DECLINE_REASONS,
        initial=SERIES_PRODUCTION,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=gettext_lazy("In your words"),
        max_length=1800,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("The requester reads it in the e-mail."),
    )

    def clean(self):
        data = super().clean()
        if (
            data.get("reason_choice") != SERIES_PRODUCTION
            and not (data.get("reason") or "").strip()
        ):
            self.add_error(
                "reason", _("Say why the request is declined: the requester will read it.")
            )
        return data

    def note_for(self, project: Project) -> str:
        """The reason as the requester will read it: the charter in their own language."""
        words = (self.cleaned_data.get("reason") or "").strip()
        if self.cleaned_data["reason_choice"] != SERIES_PRODUCTION:
            return words
        with translation.override(project.requested_by.preferred_language):
            charter = str(DECLINE_REASONS[0][1])
        return f"{charter}.\n{words}" if words else f"{charter}."


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why cancel?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MoveNoteForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Message"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    internal = forms.BooleanField(
        label=gettext_lazy("Staff only: the organisation never sees this note"), required=False
    )

    def __init__(self, *args, staff: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not staff:
            del self.fields["internal"]
        self.fields["attachments"] = _attachments_field()


class StaffQueueForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Title or reference"), required=False, max_length=160)
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    site = forms.ChoiceField(label=gettext_lazy("Site"), required=False)
    mine = forms.BooleanField(label=gettext_lazy("Only those I lead"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            ("", _("Any status")),
            ("open", _("Open (requested to in progress)")),
            *ProjectStatus.choices,
        ]
        self.fields["site"].choices = [
            ("", _("All my sites")),
            ("none", _("Not triaged yet")),
            *[(site.slug, site.name) for site in staff_sites_of(user=user)],
        ]

    def filters(self, page) -> StaffQueueFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return StaffQueueFilters(
            status=data.get("status", ""),
            site=data.get("site", ""),
            mine=bool(data.get("mine")),
            q=data.get("q", ""),
            page=page or 1,
        )


# --- Quotes and execution -------------------------------------------------------------------


QUOTE_VALID_DAYS = 30  # a new quote is valid this long unless staff choose another date
QUOTE_EXTRA_LINES = 3  # blank lines offered under the copied ones


def _decimal_input(label, *, required: bool = False, help_text: str = "") -> forms.CharField:
    """A number typed with a dot or a comma; the services check and explain it."""
    return forms.CharField(
        label=label,
        required=required,
        max_length=20,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 8}),
    )


class QuoteForm(forms.Form):
    vat_rate = _decimal_input(_("VAT rate (%)"), required=True)
    valid_until = forms.DateField(
        label=_("Valid until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    note = forms.CharField(
        label=_("Note for the requester"),
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["vat_rate"].initial = settings.PROJECTS_VAT_RATE
        self.fields["valid_until"].initial = timezone.localdate() + timedelta(days=QUOTE_VALID_DAYS)


class QuoteLineForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *QuoteLineKind.choices])
    resource = forms.ModelChoiceField(
        label=_("Machine"),
        queryset=Resource.objects.none(),
        required=False,
        empty_label="—",
        error_messages={"invalid_choice": _("Choose a machine of the project's site.")},
    )
    material = forms.ModelChoiceField(
        label=_("Material"),
        queryset=Material.objects.none(),
        required=False,
        empty_label="—",
        error_messages={"invalid_choice": _("Choose a material of the site's catalogue.")},
    )
    description = forms.CharField(label=_("Description"), required=False, max_length=200)
    quantity = _decimal_input(_("Quantity (hours for machines and staff)"))
    unit_price = _decimal_input(_("Unit price (EUR)"))

    def __init__(self, *args, site=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if site is not None:
            # Any machine or material of the site is offered; the service refuses (with a
            # message naming the line) what is not of the site or no longer on sale.
            self.fields["resource"].queryset = Resource.objects.filter(site=site).order_by(
                "position", "name"
            )
            self.fields["material"].queryset = Material.objects.filter(
                site=site, is_active=True
            ).order_by("name_en")
            self.fields["material"].label_from_instance = lambda m: (
                f"{m.name} ({floatformat(m.unit_price, '2g')} € / {m.unit})"
            )


class _QuoteLineFormSet(forms.BaseFormSet):
    def __init__(self, *args, site=None, **kwargs) -> None:
        self.site = site
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "site": self.site}

    def lines(self) -> list[dict]:
        """The filled lines, in order, without those marked for removal."""
        return [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("kind")
        ]


QuoteLineFormSet = forms.formset_factory(
    QuoteLineForm,
    formset=_QuoteLineFormSet,
    extra=QUOTE_EXTRA_LINES,
    can_delete=True,
    max_num=50,
    validate_max=True,
    absolute_max=60,
)


class QuoteRejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you reject this quote?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ProjectBookingForm(MoveForm):
    """A machine of the project's site, a day and two local times, and who operates."""

    OPERATORS = [
        ("lead", _("The staff lead (staff work)")),
        ("requester", _("The requester, who comes to operate the machine")),
    ]

    resource = forms.ModelChoiceField(
        label=_("Machine or space"),
        queryset=Resource.objects.none(),
        error_messages={"invalid_choice": _("Choose a machine of the project's site.")},
    )
    operator = forms.ChoiceField(
        label=_("Booked in the name of"),
        choices=OPERATORS,
        initial="lead",
        help_text=_(
            "Staff work is not held to the makers' booking rules (trainings, quota, opening "
            "hours); a slot already taken is always refused."
        ),
    )
    override = forms.BooleanField(
        label=_("Override the makers' rules for the requester (trainings, quota, hours)"),
        required=False,
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    field_order = ["resource", "date", "start", "end", "operator", "override", "note"]

    def __init__(self, *args, site, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["resource"].queryset = Resource.objects.filter(site=site).order_by(
            "position", "name"
        )


class ProjectBookingLinkForm(forms.Form):
    booking = forms.ModelChoiceField(
        label=_("Existing booking"),
        queryset=Booking.objects.none(),
        error_messages={"invalid_choice": _("Choose one of the bookings listed.")},
    )

    def __init__(self, *args, bookings, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["booking"]
        field.queryset = Booking.objects.filter(pk__in=[b.pk for b in bookings])
        field.label_from_instance = lambda b: (
            f"{timezone.localtime(b.starts_at):%Y-%m-%d %H:%M}-"
            f"{timezone.localtime(b.ends_at):%H:%M} · {b.resource.name} · {b.user.display_name}"
        )
        field.queryset = field.queryset.select_related("resource", "user").order_by("-starts_at")


class StaffTimeForm(forms.Form):
    day = forms.DateField(
        label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    hours = _decimal_input(_("Hours"), required=True)
    hourly_rate = _decimal_input(_("Hourly rate (EUR)"))
    note = forms.CharField(label=_("What was done"), max_length=300, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["day"].initial = timezone.localdate()
        self.fields["hourly_rate"].initial = settings.PROJECTS_STAFF_HOURLY_RATE


# --- statistics (projstats) ---------------------------------------------------------------

STATISTICS_EARLIEST_YEAR = 2000


class ProjectStatisticsFilterForm(forms.Form):
    """The years and the site of the projects' statistics. Empty fields take the defaults
    (`initial`): the last ten years that have projects, every site."""

    first_year = forms.IntegerField(label=_("From"), required=False)
    last_year = forms.IntegerField(label=_("To"), required=False)
    site = forms.ModelChoiceField(
        label=_("FabLab site"),
        queryset=None,
        required=False,
        empty_label=_("All sites"),
        to_field_name="slug",
    )

    def __init__(self, *args, first_year: int, last_year: int, **kwargs) -> None:
        from fabreck.fablab.models import Site

        super().__init__(*args, **kwargs)
        self.defaults = {"first_year": first_year, "last_year": last_year}
        self.latest = last_year + 1
        for name in ("first_year", "last_year"):
            self.fields[name].initial = self.defaults[name]
            self.fields[name].validators.append(_year_bounds(STATISTICS_EARLIEST_YEAR, self.latest))
            self.fields[name].widget.attrs.update(
                {"min": STATISTICS_EARLIEST_YEAR, "max": self.latest, "step": 1}
            )
        self.fields["site"].queryset = Site.objects.order_by("name")

    def clean(self) -> dict:
        data = super().clean()
        first = data.get("first_year") or self.defaults["first_year"]
        last = data.get("last_year") or self.defaults["last_year"]
        if "first_year" in data and "last_year" in data:  # both valid numbers or empty
            if first > last:
                raise forms.ValidationError(
                    _("The first year comes after the last one."), code="years_reversed"
                )
            if last - first + 1 > STATISTICS_MAX_YEARS:
                raise forms.ValidationError(
                    _("Choose at most %(count)s years.") % {"count": STATISTICS_MAX_YEARS},
                    code="too_many_years",
                )
        return data

    def filters(self) -> dict:
        """The years and site asked for; the defaults where the input is empty or wrong."""
        chosen = dict(self.defaults, site=None)
        if self.is_bound and self.is_valid():
            for name in ("first_year", "last_year", "site"):
                if self.cleaned_data.get(name):
                    chosen[name] = self.cleaned_data[name]
        return chosen


def _year_bounds(low: int, high: int):
    def check(value: int) -> None:
        if value is not None and not low <= value <= high:
            raise forms.ValidationError(
                _("Choose a year from %(low)s to %(high)s.") % {"low": low, "high": high},
                code="year_out_of_range",
            )

    return check


# --- gallery: documentation editor --------------------------------------------------------
# Imports of this section stay here so that the section merges as one block.


IMAGE_ACCEPT = "image/png,image/jpeg,image/webp"


class _MachineChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Resource) -> str:
        return f"{obj.name} ({obj.site.name})"


class _MaterialChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Material) -> str:
        return f"{obj.name} ({obj.site.name})"


class DocumentationForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=160)
    summary = forms.CharField(
        label=_("Summary"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 1000}),
        help_text=_("What was made, for whom, and what makes it interesting (a few lines)."),
    )
    cover = forms.FileField(
        label=_("Cover picture"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT}),
        help_text=_("PNG, JPEG or WebP, 5 MB at most."),
    )
    cover_clear = forms.BooleanField(label=_("Remove the cover picture"), required=False)
    licence = forms.ChoiceField(
        label=_("Licence"),
        choices=Licence.choices,
        initial=Licence.CC_BY_SA,
        help_text=_("Under which terms others may reuse what you publish."),
    )
    organisation = forms.ModelChoiceField(
        label=_("On behalf of"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("Myself"),
    )
    site = forms.ModelChoiceField(
        label=_("FabLab site"),
        queryset=Site.objects.order_by("name"),
        required=False,
        empty_label=_("None of them"),
    )
    sector = forms.ModelChoiceField(
        label=_("Sector"),
        queryset=Sector.objects.order_by("position", "slug"),
        required=False,
        empty_label=_("None in particular"),
    )
    machines = _MachineChoice(
        label=_("Machines used"),
        queryset=Resource.objects.select_related("site").order_by("site__name", "position"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    materials = _MaterialChoice(
        label=_("Materials used"),
        queryset=Material.objects.select_related("site").order_by("site__name", "name_en"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    def __init__(self, *args, user=None, documentation=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if documentation is None or not documentation.cover:
            del self.fields["cover_clear"]
        # The project's organisation, always; a collaborator does not choose it either.
        if user is None or (documentation is not None and documentation.project_id is not None):
            del self.fields["organisation"]
        else:
            managed = OrganisationPerson.objects.filter(
                user=user, role__in=(OrganisationPerson.Role.OWNER, OrganisationPerson.Role.ADMIN)
            ).values("organisation_id")
            self.fields["organisation"].queryset = Organisation.objects.filter(
                pk__in=managed
            ).order_by("name")
            if not self.fields["organisation"].queryset.exists():
                del self.fields["organisation"]

    def changes(self) -> dict:
        """The service's keyword arguments."""
        data = dict(self.cleaned_data)
        clear = data.pop("cover_clear", False)
        data["cover"] = data.get("cover") or (False if clear else None)
        data["machines"] = list(data.get("machines") or [])
        data["materials"] = list(data.get("materials") or [])
        return data


class StepForm(forms.Form):
    title = forms.CharField(label=_("Title of the step"), max_length=160)
    body = forms.CharField(
        label=_("What to do"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": 10000}),
    )
    image = forms.FileField(
        label=_("Picture"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT}),
        help_text=_("PNG, JPEG or WebP, 5 MB at most."),
    )
    image_clear = forms.BooleanField(label=_("Remove the picture"), required=False)

    def __init__(self, *args, step=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if step is None or not step.image:
            del self.fields["image_clear"]


class DocumentationFileForm(forms.Form):
    file = forms.FileField(label=_("File"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        types = ", ".join(settings.PROJECTS_ATTACHMENT_EXTENSIONS)
        limit = settings.PROJECTS_ATTACHMENT_MAX_BYTES / 2**20
        self.fields["file"].help_text = _("%(types)s; %(mb)s MB at most.") % {
            "types": types,
            "mb": f"{limit:g}",
        }
        self.fields["file"].widget.attrs["accept"] = ",".join(
            f".{ext}" for ext in settings.PROJECTS_ATTACHMENT_EXTENSIONS
        )


class CollaboratorInviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address of the person to invite"))


class PublishForm(forms.Form):
    consent = forms.BooleanField(
        label=_("I agree to publish this documentation publicly under the licence chosen."),
        required=False,
    )
