"""FabLab forms. They parse and show what the services check; the rules live in services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from fabreck.accounts.models import User
from fabreck.fablab.models import Booking, Course, PriceGroup, Resource, Site, TrainingParticipant

# === Staff side: trainings, makers, the desk, blocks, machines, the kiosk =================

_LOCAL_INPUT = "%Y-%m-%dT%H:%M"


def _moment(label) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        input_formats=[_LOCAL_INPUT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=_LOCAL_INPUT),
    )


class EmailForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail of the maker"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )


class TrainingSessionForm(forms.Form):
    course = forms.ModelChoiceField(label=_("Course"), queryset=Course.objects.none())
    instructor = forms.ModelChoiceField(label=_("Instructor"), queryset=User.objects.none())
    starts_at = _moment(_("Starts at"))
    ends_at = _moment(_("Ends at"))
    capacity = forms.IntegerField(label=_("Places"), min_value=1, max_value=100, initial=6)

    def __init__(self, *args, site: Site, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = Course.objects.select_related("category")
        self.fields["instructor"].queryset = site.staff.order_by("last_name", "first_name")
        self.fields["instructor"].label_from_instance = lambda user: user.display_name


class ResultForm(forms.Form):
    result = forms.ChoiceField(
        label=_("Result"),
        choices=[
            (value, label)
            for value, label in TrainingParticipant.Result.choices
            if value != TrainingParticipant.Result.REGISTERED
        ],
    )


class GrantForm(EmailForm):
    course = forms.ModelChoiceField(label=_("Course"), queryset=Course.objects.all())
    evidence = forms.CharField(
        label=_("Evidence of prior experience"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What you checked: a certificate, a test on the machine, …"),
    )


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        required=False,  # the service says why it is needed, in one place
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class PriceGroupForm(forms.Form):
    price_group = forms.ModelChoiceField(label=_("Price group"), queryset=PriceGroup.objects.all())
    note = forms.CharField(
        label=_("Proof checked"),
        required=False,
        max_length=200,
        help_text=_("For example: student card valid until June 2026."),
    )


class MaterialUseForm(forms.Form):
    material = forms.IntegerField(label=_("Material"))
    quantity = forms.CharField(label=_("Quantity"), max_length=20)


class BlockForm(forms.Form):
    resource = forms.ModelChoiceField(label=_("Machine or space"), queryset=Resource.objects.none())
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            (Booking.Kind.BLOCK, Booking.Kind.BLOCK.label),
            (Booking.Kind.MAINTENANCE, Booking.Kind.MAINTENANCE.label),
        ],
    )
    starts_at = _moment(_("From"))
    ends_at = _moment(_("Until"))
    reason = forms.CharField(label=_("Reason"), required=False, max_length=300)

    def __init__(self, *args, site: Site, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resource"].queryset = Resource.objects.filter(site=site).order_by(
            "position", "name"
        )


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Resource.Status.choices)
