"""Forms of prototyping projects. Sections are appended per capability."""

from __future__ import annotations

# --- requests, triage and timeline --------------------------------------------------------
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from fabreck.cluster.models import Competence
from fabreck.fablab.models import MachineCategory, Site
from fabreck.projects.models import BudgetRange, Project, ProjectStatus
from fabreck.projects.selectors import (
    StaffQueueFilters,
    organisations_requesting_for,
    staff_sites_of,
    triage_leads,
)
from fabreck.projects.services import ProjectRequestData, attachments_check

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
