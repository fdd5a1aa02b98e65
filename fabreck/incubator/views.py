"""Pages of the incubator: thin views over the services and selectors."""

from __future__ import annotations

# --- kpis ---
from django.contrib import messages  # noqa: E402, RUF100
from django.contrib.auth.decorators import login_required  # noqa: E402, RUF100
from django.core.exceptions import PermissionDenied, ValidationError  # noqa: E402, RUF100
from django.http import Http404, HttpRequest, HttpResponse  # noqa: E402, RUF100
from django.shortcuts import get_object_or_404, redirect, render  # noqa: E402, RUF100
from django.utils.translation import gettext as _  # noqa: E402, RUF100
from django.views.decorators.http import require_GET, require_http_methods  # noqa: E402, RUF100

from fabreck.core.exports import csv_response, xlsx_response  # noqa: E402, RUF100
from fabreck.incubator import selectors as kpis_selectors  # noqa: E402, RUF100
from fabreck.incubator import services as kpis_services  # noqa: E402, RUF100
from fabreck.incubator.forms import KpiUpdateForm  # noqa: E402, RUF100
from fabreck.incubator.models import Cohort, KpiUpdate  # noqa: E402, RUF100


def _kpis_form_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _kpis_startup_chosen(request: HttpRequest):
    """The startup the page is about: `?startup=` (its people or a manager), else the
    user's only (or first) startup; None when the user has none."""
    chosen = request.GET.get("startup") or request.POST.get("startup")
    if chosen:
        try:
            pk = int(chosen)
        except ValueError as error:
            raise Http404 from error
        return kpis_selectors.kpi_incubation_for(pk=pk, user=request.user)
    startups = kpis_selectors.kpi_startups_of(user=request.user)
    return startups[0] if startups else None


@login_required
@require_http_methods(["GET", "POST"])
def kpis_update(request: HttpRequest) -> HttpResponse:
    """Founders' "Quarterly update": the form for a finished quarter and their history.
    Sending a quarter already reported corrects it."""
    incubation = _kpis_startup_chosen(request)
    if incubation is None:
        return render(request, "incubator/kpis_update.html", {"incubation": None})
    history = list(
        KpiUpdate.objects.filter(incubation=incubation)
        .select_related("submitted_by")
        .order_by("-year", "-quarter")
    )
    initial = {}
    wanted = request.GET.get("quarter", "")
    for update in history:
        if wanted == f"{update.year}-Q{update.quarter}":
            initial = {
                "quarter": wanted,
                "headcount": update.headcount,
                "revenue": update.revenue,
                "funds_raised": update.funds_raised,
                "customers": update.customers,
                "status": update.status,
                "note": update.note,
            }
    form = KpiUpdateForm(
        request.POST if request.method == "POST" else None, incubation=incubation, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        year, quarter = data["quarter"]
        try:
            _update, created = kpis_services.kpi_update_submit(
                incubation=incubation,
                by=request.user,
                year=year,
                quarter=quarter,
                figures=kpis_services.KpiFigures(
                    headcount=data["headcount"],
                    revenue=data["revenue"],
                    funds_raised=data["funds_raised"],
                    customers=data["customers"],
                    status=data["status"],
                    note=data["note"],
                ),
            )
        except ValidationError as error:
            _kpis_form_errors(form, error)
        else:
            if created:
                messages.success(
                    request,
                    _("Thank you: the figures of %(year)s Q%(quarter)s are recorded.")
                    % {"year": year, "quarter": quarter},
                )
            else:
                messages.success(
                    request,
                    _("The figures of %(year)s Q%(quarter)s are corrected.")
                    % {"year": year, "quarter": quarter},
                )
            return redirect(f"{request.path}?startup={incubation.pk}")
    year, quarter = kpis_selectors.quarter_last_finished()
    return render(
        request,
        "incubator/kpis_update.html",
        {
            "incubation": incubation,
            "form": form,
            "history": history,
            "startups": kpis_selectors.kpi_startups_of(user=request.user),
            "last_quarter": (year, quarter),
            "last_reported": any(u.year == year and u.quarter == quarter for u in history),
            "is_manager": kpis_selectors.user_manages_incubator(user=request.user),
        },
        status=400 if request.method == "POST" else 200,
    )


def _kpis_manager_only(request: HttpRequest) -> None:
    if not kpis_selectors.user_manages_incubator(user=request.user):
        raise PermissionDenied(_("Only the incubator's managers read the dashboards."))


@login_required
@require_GET
def kpis_overview(request: HttpRequest) -> HttpResponse:
    """The incubator at a glance: startups by phase, survival, cohorts, calls."""
    _kpis_manager_only(request)
    return render(
        request,
        "incubator/kpis_overview.html",
        {"overview": kpis_selectors.incubator_overview()},
    )


@login_required
@require_GET
def kpis_cohort(request: HttpRequest, slug: str) -> HttpResponse:
    """A cohort's dashboard: startups and their last figures, quarterly totals, calls."""
    _kpis_manager_only(request)
    cohort = get_object_or_404(Cohort, slug=slug)
    return render(
        request,
        "incubator/kpis_cohort.html",
        {"dashboard": kpis_selectors.cohort_dashboard(cohort=cohort)},
    )


@login_required
@require_GET
def kpis_export(request: HttpRequest, fmt: str, slug: str | None = None) -> HttpResponse:
    """The KPI table (a cohort's or every one's) as CSV or Excel."""
    _kpis_manager_only(request)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    cohort = get_object_or_404(Cohort, slug=slug) if slug else None
    headers = [
        _("Startup"),
        _("Cohort"),
        _("Phase"),
        _("Year"),
        _("Quarter"),
        _("Headcount"),
        _("Revenue (EUR)"),
        _("Funds raised (EUR)"),
        _("Customers"),
        _("Status"),
        _("Note"),
        _("Reported at"),
    ]
    rows = kpis_selectors.kpi_export_rows(cohort=cohort)
    filename = f"kpis-{cohort.slug if cohort else 'all'}.{fmt}"
    keys = kpis_selectors.KPI_EXPORT_KEYS
    if fmt == "xlsx":
        return xlsx_response(filename=filename, headers=headers, rows=rows, keys=keys)
    return csv_response(filename=filename, headers=headers, rows=rows, keys=keys)
