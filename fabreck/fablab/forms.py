"""FabLab forms."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fabreck.accounts.models import User
from fabreck.fablab.models import Booking, Course, PriceGroup, Resource, Site, TrainingParticipant

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
        label=_("Type of block"),
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


# === Prepaid hours: staff grant or adjust (credits) ========================================


class PrepaidChangeForm(forms.Form):
    """Hours and note are checked by the service (`prepaid_hours_change`), which says why."""

    kind = forms.ChoiceField(
        label=_("What"),
        choices=[
            ("grant", _("Grant hours")),
            ("adjustment", _("Adjust the balance (add or take away)")),
        ],
    )
    hours = forms.CharField(
        label=_("Hours"),
        max_length=12,
        required=False,
        help_text=_("An adjustment may be negative, e.g. -1.5."),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=300,
        required=False,
        help_text=_("The organisation's people read it."),
    )
