"""Pages of prototyping projects. Views stay thin: parse, call a service or a selector,
render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from fabreck.projects import selectors


@login_required
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The project's page for its people and staff: the request, the quotes, the work done
    and the timeline (each panel is a template tag of its own capability)."""
    project = selectors.project_visible_to(pk=pk, user=request.user)
    return render(
        request,
        "projects/detail.html",
        {
            "project": project,
            "is_staff": selectors.user_is_project_staff(user=request.user, project=project),
            "speaks_for": selectors.user_speaks_for_project(user=request.user, project=project),
        },
    )


# --- Quotes and execution -------------------------------------------------------------------

from django.conf import settings  # noqa: E402
from django.contrib import messages  # noqa: E402
from django.core.exceptions import PermissionDenied, ValidationError  # noqa: E402
from django.shortcuts import redirect  # noqa: E402
from django.utils import translation  # noqa: E402
from django.utils.translation import gettext as _  # noqa: E402
from django.views.decorators.http import require_http_methods, require_POST  # noqa: E402

from fabreck.projects import services  # noqa: E402
from fabreck.projects.forms import (  # noqa: E402
    ProjectBookingForm,
    ProjectBookingLinkForm,
    QuoteForm,
    QuoteLineFormSet,
    QuoteRejectForm,
    StaffTimeForm,
)
from fabreck.projects.pdf import quote_pdf  # noqa: E402


def _errors_into(form, error: ValidationError) -> None:
    """A service's refusal shown on the form: field errors on their fields, the rest on
    top."""
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _project_for_staff(request: HttpRequest, pk: int):
    """The project for its staff; a 404 for those who do not see it, a 403 for its other
    people."""
    project = selectors.project_visible_to(pk=pk, user=request.user)
    if not selectors.user_is_project_staff(user=request.user, project=project):
        raise PermissionDenied(_("Only the project's staff may do this."))
    return project


def _back(project) -> HttpResponse:
    return redirect("projects:detail", pk=project.pk)


def _line_initial(quote) -> list[dict]:
    """The lines of the latest version, to start the next one from."""
    if quote is None:
        return []
    return [
        {
            "kind": line.kind,
            "resource": line.resource_id,
            "material": line.material_id,
            "description": "" if line.kind in ("machine", "material") else line.description,
            "quantity": f"{line.quantity:f}",
            "unit_price": f"{line.unit_price:f}" if line.kind in ("staff", "other") else "",
        }
        for line in quote.lines.all()
    ]


@login_required
@require_http_methods(["GET", "POST"])
def quote_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff build the next version of the project's quote, starting from the last one."""
    project = _project_for_staff(request, pk)
    if project.status not in services.QUOTABLE_STATUSES:
        messages.error(
            request,
            _("A project that is %(status)s gets no new quote.")
            % {"status": project.get_status_display().lower()},
        )
        return _back(project)
    if project.site_id is None or project.lead_id is None:
        messages.error(request, _("Choose the site and the staff lead first."))
        return _back(project)
    versions = selectors.quotes_of(project=project)
    latest = versions[0] if versions else None
    if request.method == "POST":
        data = request.POST
        if "add_lines" in data:  # more blank lines, nothing sent
            data = data.copy()
            key = "lines-TOTAL_FORMS"
            data[key] = str(min(int(data.get(key) or 0), 47) + 3)
        form = QuoteForm(data)
        lines = QuoteLineFormSet(data, prefix="lines", site=project.site)
        if "add_lines" not in data and form.is_valid() and lines.is_valid():
            try:
                quote = services.quote_send(
                    project=project,
                    by=request.user,
                    lines=[
                        services.QuoteLineInput(
                            kind=row["kind"],
                            quantity=row["quantity"],
                            resource=row.get("resource"),
                            material=row.get("material"),
                            description=row.get("description", ""),
                            unit_price=row.get("unit_price"),
                        )
                        for row in lines.lines()
                    ],
                    vat_rate=form.cleaned_data["vat_rate"],
                    valid_until=form.cleaned_data["valid_until"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                _errors_into(form, error)
            else:
                messages.success(
                    request,
                    _("Version %(version)d of the quote is sent to the requester.")
                    % {"version": quote.version},
                )
                return _back(project)
    else:
        form = QuoteForm(initial={"vat_rate": f"{latest.vat_rate:f}"} if latest else None)
        lines = QuoteLineFormSet(prefix="lines", site=project.site, initial=_line_initial(latest))
    return render(
        request,
        "projects/quote_form.html",
        {
            "project": project,
            "form": form,
            "lines": lines,
            "latest": latest,
            "price_group": services.quote_price_group(project=project),
        },
    )


@login_required
@require_http_methods(["GET"])
def quote_pdf_view(request: HttpRequest, pk: int, version: int) -> HttpResponse:
    """The PDF of one version, in the reader's language, for those who see the project."""
    project = selectors.project_visible_to(pk=pk, user=request.user)
    quote = selectors.quote_of(project=project, version=version)
    quote.project = project
    content = quote_pdf(
        quote=quote,
        language=translation.get_language() or "en",
        compress=getattr(settings, "PROJECTS_QUOTE_PDF_COMPRESS", True),
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="quote-{project.reference}-v{quote.version}.pdf"'
    )
    return response


@login_required
@require_POST
def quote_accept_view(request: HttpRequest, pk: int, version: int) -> HttpResponse:
    project = selectors.project_visible_to(pk=pk, user=request.user)
    quote = selectors.quote_of(project=project, version=version)
    try:
        services.quote_accept(quote=quote, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("You accepted version %(version)d of the quote: the FabLab starts the work.")
            % {"version": quote.version},
        )
    return _back(project)


@login_required
@require_POST
def quote_reject_view(request: HttpRequest, pk: int, version: int) -> HttpResponse:
    project = selectors.project_visible_to(pk=pk, user=request.user)
    quote = selectors.quote_of(project=project, version=version)
    form = QuoteRejectForm(request.POST)
    try:
        services.quote_reject(
            quote=quote,
            by=request.user,
            reason=form.data.get("reason", "")[:2001],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("You rejected version %(version)d of the quote; the staff are told why.")
            % {"version": quote.version},
        )
    return _back(project)


@login_required
@require_http_methods(["GET", "POST"])
def project_booking_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff book a machine of the project's site for it, or count an existing booking."""
    project = _project_for_staff(request, pk)
    linkable = selectors.bookings_linkable(project=project)
    form = ProjectBookingForm(request.POST if request.method == "POST" else None, site=project.site)
    link_form = ProjectBookingLinkForm(bookings=linkable)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            link = services.project_booking_create(
                project=project,
                by=request.user,
                resource=data["resource"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                operator=data["operator"],
                override=data["override"],
                note=data["note"],
            )
        except ValidationError as error:
            _errors_into(form, error)
        else:
            messages.success(
                request,
                _("%(machine)s is booked for the project.")
                % {"machine": link.booking.resource.name},
            )
            return _back(project)
    return render(
        request,
        "projects/booking_form.html",
        {
            "project": project,
            "form": form,
            "link_form": link_form,
            "linkable": linkable,
            "executing": project.status in services.EXECUTION_STATUSES,
        },
    )


@login_required
@require_POST
def project_booking_link_view(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project_for_staff(request, pk)
    linkable = selectors.bookings_linkable(project=project)
    link_form = ProjectBookingLinkForm(request.POST, bookings=linkable)
    if link_form.is_valid():
        try:
            services.project_booking_link(
                project=project, by=request.user, booking=link_form.cleaned_data["booking"]
            )
        except ValidationError as error:
            _errors_into(link_form, error)
        else:
            messages.success(request, _("The booking now counts for the project."))
            return _back(project)
    return render(
        request,
        "projects/booking_form.html",
        {
            "project": project,
            "form": ProjectBookingForm(site=project.site),
            "link_form": link_form,
            "linkable": linkable,
            "executing": project.status in services.EXECUTION_STATUSES,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def staff_time_new(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project_for_staff(request, pk)
    form = StaffTimeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.staff_time_record(
                project=project, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            _errors_into(form, error)
        else:
            messages.success(
                request,
                _("%(hours)s hours recorded on the project.")
                % {"hours": f"{entry.hours.normalize():f}"},
            )
            return _back(project)
    return render(request, "projects/staff_time_form.html", {"project": project, "form": form})
