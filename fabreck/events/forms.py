"""Forms of workshops and events. Sections are appended per capability."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

# --- children's profiles (evkids) ----------------------------------------------------------
from fabreck.cluster.models import Commune


class ChildForm(forms.Form):
    """A child's profile; the service checks the rules (it has the last word)."""

    first_name = forms.CharField(
        label=_("First name"),
        max_length=80,
        required=False,  # the service says what is missing, in one place
    )
    birth_date = forms.DateField(
        label=_("Birth date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter the birth date as a date, e.g. 2017-03-21.")},
    )
    commune = forms.ModelChoiceField(
        label=_("Commune of residence"),
        queryset=Commune.objects.order_by("name"),
        required=False,
        empty_label=_("Not given"),
        help_text=_("Only used, without the name, in the workshops' statistics."),
    )
    photo_consent = forms.BooleanField(
        label=_("Photos of my child may be taken and published"), required=False
    )
    pickup_persons = forms.CharField(
        label=_("Who may pick the child up"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Names and phone numbers. The staff check them at the end of a workshop."),
    )
    notes = forms.CharField(
        label=_("Notes for the staff"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Allergies, needs, anything useful."),
    )


class StatisticsFilterForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False)
    site = forms.ModelChoiceField(
        label=_("FabLab site"), queryset=None, required=False, empty_label=_("All sites")
    )

    def __init__(self, *args, years: list[int], **kwargs) -> None:
        from fabreck.fablab.models import Site

        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(year, str(year)) for year in years]
        self.fields["site"].queryset = Site.objects.order_by("name")
