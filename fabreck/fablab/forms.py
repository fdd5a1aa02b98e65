"""FabLab forms."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fabreck.fablab.models import Resource

# === Booking and moving a booking (maker pages) ============================================
# (fablab-pages branch)

MAX_DAYS_AWAY = 366  # farther dates are typing mistakes (and would overflow time zones)


class _TimeRangeForm(forms.Form):
    """A day and two local times (Europe/Luxembourg) → `starts_at`, `ends_at` (aware)."""

    date = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    start = forms.TimeField(
        label=_("Start time"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    end = forms.TimeField(
        label=_("End time"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )

    def clean(self) -> dict:
        data = super().clean()
        day, start, end = data.get("date"), data.get("start"), data.get("end")
        if day is None or start is None or end is None:
            return data
        if abs((day - timezone.localdate()).days) > MAX_DAYS_AWAY:
            self.add_error("date", _("Choose a date within a year from today."))
            return data
        if end <= start:
            self.add_error("end", _("The end must come after the start."))
            return data
        data["starts_at"] = timezone.make_aware(datetime.combine(day, start))
        data["ends_at"] = timezone.make_aware(datetime.combine(day, end))
        return data


class BookingForm(_TimeRangeForm):
    resource = forms.ModelChoiceField(
        label=_("Machine or space"),
        queryset=Resource.objects.none(),
        to_field_name="slug",
        error_messages={"invalid_choice": _("This machine or space does not exist.")},
    )
    organisation = forms.ModelChoiceField(
        label=_("For an organisation"),
        queryset=None,
        to_field_name="slug",
        required=False,
        empty_label=_("No, for myself"),
        help_text=_("Organisations you belong to pay their own rate."),
    )
    project_reference = forms.CharField(
        label=_("Prototyping project (reference)"), max_length=80, required=False
    )
    note = forms.CharField(
        label=_("Note for the staff"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    field_order = ["resource", "date", "start", "end", "organisation", "project_reference", "note"]

    def __init__(self, *args, organisations, resources, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["resource"].queryset = resources
        self.fields["resource"].label_from_instance = lambda r: f"{r.name} ({r.site.name})"
        self.fields["organisation"].queryset = organisations
        if not organisations.exists():
            del self.fields["organisation"]


class MoveForm(_TimeRangeForm):
    pass
