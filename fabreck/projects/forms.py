"""Forms of prototyping projects. Sections are appended per capability."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from fabreck.projects.selectors import STATISTICS_MAX_YEARS

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
