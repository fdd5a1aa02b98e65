"""Forms of prototyping projects. Sections are appended per capability."""

from __future__ import annotations

# --- gallery: documentation editor --------------------------------------------------------
# Imports of this section stay here so that the section merges as one block.
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from fabreck.cluster.models import Organisation, OrganisationPerson, Sector
from fabreck.fablab.models import Material, Resource, Site
from fabreck.projects.models import Licence

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
