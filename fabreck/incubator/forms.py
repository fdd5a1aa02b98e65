"""Forms of the incubator's pages."""

# --- kpis ---
from django import forms  # noqa: E402, RUF100
from django.utils import timezone  # noqa: E402, RUF100
from django.utils.translation import gettext_lazy as _kpis_lazy  # noqa: E402, RUF100

from fabreck.incubator.models import Incubation, StartupStatus  # noqa: E402, RUF100
from fabreck.incubator.selectors import (  # noqa: E402, RUF100
    quarter_last_finished,
    quarter_of,
    quarters_between,
)

KPI_QUARTERS_OFFERED = 12  # the form offers the last three years of quarters


class KpiUpdateForm(forms.Form):
    """A quarter's figures. The limits (not negative, a finished quarter after the start)
    are the service's, so that the page and the API say the same."""

    quarter = forms.ChoiceField(label=_kpis_lazy("Quarter"))
    headcount = forms.IntegerField(
        label=_kpis_lazy("Headcount"),
        help_text=_kpis_lazy(
            "People working for the startup at the end of the quarter, founders included."
        ),
    )
    revenue = forms.DecimalField(
        label=_kpis_lazy("Revenue in the quarter (EUR)"), max_digits=14, decimal_places=2
    )
    funds_raised = forms.DecimalField(
        label=_kpis_lazy("Funds raised in the quarter (EUR)"),
        max_digits=14,
        decimal_places=2,
        initial=0,
        help_text=_kpis_lazy("Equity, loans and grants received during the quarter."),
    )
    customers = forms.IntegerField(label=_kpis_lazy("Customers"))
    status = forms.ChoiceField(
        label=_kpis_lazy("Status"), choices=StartupStatus.choices, initial=StartupStatus.ACTIVE
    )
    note = forms.CharField(
        label=_kpis_lazy("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, incubation: Incubation, today=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        today = today or timezone.localdate()
        last = quarter_last_finished(today)
        quarters = list(reversed(quarters_between(quarter_of(incubation.started_on), last)))
        quarters = quarters[:KPI_QUARTERS_OFFERED]
        self.fields["quarter"].choices = [(f"{y}-Q{q}", f"{y} Q{q}") for y, q in quarters]
        if quarters:
            self.fields["quarter"].initial = f"{quarters[0][0]}-Q{quarters[0][1]}"

    def clean_quarter(self) -> tuple[int, int]:
        year, _sep, quarter = self.cleaned_data["quarter"].partition("-Q")
        return int(year), int(quarter)
