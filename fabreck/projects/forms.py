"""Forms of prototyping projects."""

# --- Quotes and execution -------------------------------------------------------------------

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.conf import settings
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fabreck.fablab.forms import MoveForm
from fabreck.fablab.models import Booking, Material, Resource
from fabreck.projects.models import QuoteLineKind

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
