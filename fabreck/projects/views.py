"""Pages of prototyping projects. Views stay thin: parse, call a service or a selector,
render."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fabreck.core.exports import csv_response, xlsx_response
from fabreck.core.forms import form_errors_from
from fabreck.core.http import file_download
from fabreck.projects import selectors, services
from fabreck.projects.forms import (
    CancelForm,
    CollaboratorInviteForm,
    CommentForm,
    DeclineForm,
    DocumentationFileForm,
    DocumentationForm,
    MoveNoteForm,
    ProjectBookingForm,
    ProjectBookingLinkForm,
    ProjectRequestForm,
    ProjectStatisticsFilterForm,
    PublishForm,
    QuoteForm,
    QuoteLineFormSet,
    QuoteRejectForm,
    StaffQueueForm,
    StaffTimeForm,
    StepForm,
    TriageForm,
)
from fabreck.projects.models import Collaborator, DocumentationFile, Step
from fabreck.projects.pdf import quote_pdf


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


# --- requests, triage and timeline --------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def project_request_create(request: HttpRequest) -> HttpResponse:
    """Ask the FabLab to prototype something, for an organisation or as a maker."""
    posted = request.method == "POST"
    form = ProjectRequestForm(
        request.POST if posted else None, request.FILES if posted else None, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_request(
                by=request.user,
                organisation=form.chosen_organisation,
                data=form.request_data(),
                files=form.cleaned_data.get("attachments") or [],
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(
                request,
                _("Your request %(reference)s is sent. The staff will answer soon.")
                % {"reference": project.reference},
            )
            return redirect("projects:detail", pk=project.pk)
    return render(request, "projects/request_form.html", {"form": form})


@login_required
@require_GET
def projects_mine(request: HttpRequest) -> HttpResponse:
    page = selectors.projects_of_page(user=request.user, page=request.GET.get("page") or 1)
    return render(request, "projects/mine.html", {"page": page})


@login_required
@require_GET
def projects_staff(request: HttpRequest) -> HttpResponse:
    """The staff queue: the projects of the sites one runs and those not triaged yet."""
    if not selectors.user_runs_projects(user=request.user):
        raise PermissionDenied(_("Only the FabLab's staff may open this page."))
    form = StaffQueueForm(request.GET or None, user=request.user)
    page = selectors.projects_staff_queue(
        user=request.user, filters=form.filters(request.GET.get("page"))
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "projects/staff_queue.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


def _action_page(
    request, project, *, form, title, action_url, button, danger=False, intro="", multipart=False
):
    return render(
        request,
        "projects/action_form.html",
        {
            "project": project,
            "form": form,
            "title": title,
            "action_url": action_url,
            "button": button,
            "danger": danger,
            "intro": intro,
            "multipart": multipart,
        },
        status=400 if form.is_bound else 200,
    )


def _refused(request, project, form, error, **page) -> HttpResponse:
    if isinstance(error, PermissionDenied):
        raise error
    form_errors_from(form, error)
    return _action_page(request, project, form=form, **page)


@login_required
@require_http_methods(["GET", "POST"])
def project_triage(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.project_visible_to(pk=pk, user=request.user)
    if not selectors.user_is_project_staff(user=request.user, project=project):
        raise PermissionDenied(_("Only the FabLab's staff may triage a request."))
    form = TriageForm(request.POST if request.method == "POST" else None, project=project)
    page = {
        "title": _("Site and staff lead"),
        "action_url": request.path,
        "button": _("Save the triage"),
    }
    if request.method == "POST" and form.is_valid():
        try:
            services.project_triage(
                project=project,
                by=request.user,
                site=form.cleaned_data["site"],
                lead=form.cleaned_data["lead"],
                note=form.cleaned_data["note"],
            )
        except (ValidationError, PermissionDenied) as error:
            return _refused(request, project, form, error, **page)
        messages.success(request, _("The site and the staff lead are saved."))
        return redirect("projects:detail", pk=project.pk)
    return _action_page(request, project, form=form, **page)


MOVES = {
    # url action: (target status, its form)
    "decline": ("declined", DeclineForm),
    "cancel": ("cancelled", CancelForm),
    "deliver": ("delivered", MoveNoteForm),
    "close": ("closed", MoveNoteForm),
}


def _move_texts(action: str) -> dict:
    return {
        "decline": {
            "title": _("Decline the request"),
            "button": _("Decline"),
            "danger": True,
            "intro": _("The requester is told by e-mail, with the reason."),
        },
        "cancel": {
            "title": _("Cancel the project"),
            "button": _("Cancel the project"),
            "danger": True,
            "intro": _("A cancelled project cannot be reopened."),
        },
        "deliver": {
            "title": _("Mark as delivered"),
            "button": _("Mark as delivered"),
            "intro": _("The prototype has been handed over to the requester."),
        },
        "close": {"title": _("Close the project"), "button": _("Close the project")},
    }[action]


@login_required
@require_http_methods(["GET", "POST"])
def project_move(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Decline, cancel, deliver or close, through the status machine."""
    if action not in MOVES:
        raise Http404
    project = selectors.project_visible_to(pk=pk, user=request.user)
    to, form_class = MOVES[action]
    form = form_class(request.POST if request.method == "POST" else None)
    page = {"action_url": request.path, **_move_texts(action)}
    if request.method == "POST" and form.is_valid():
        note = (
            form.note_for(project)
            if isinstance(form, DeclineForm)
            else form.cleaned_data.get("reason") or form.cleaned_data.get("note") or ""
        )
        try:
            services.project_transition(project=project, to=to, by=request.user, note=note)
        except (ValidationError, PermissionDenied) as error:
            return _refused(request, project, form, error, **page)
        messages.success(
            request,
            _("The project is now: %(status)s.") % {"status": services.ProjectStatus(to).label},
        )
        return redirect("projects:detail", pk=project.pk)
    return _action_page(request, project, form=form, **page)


@login_required
@require_http_methods(["GET", "POST"])
def project_comment(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.project_visible_to(pk=pk, user=request.user)
    staff = selectors.user_is_project_staff(user=request.user, project=project)
    posted = request.method == "POST"
    form = CommentForm(
        request.POST if posted else None, request.FILES if posted else None, staff=staff
    )
    page = {
        "title": _("Write a message"),
        "action_url": request.path,
        "button": _("Send"),
        "multipart": True,
    }
    if request.method == "POST" and form.is_valid():
        try:
            comment = services.project_comment(
                project=project,
                by=request.user,
                body=form.cleaned_data["body"],
                internal=form.cleaned_data.get("internal", False),
                files=form.cleaned_data.get("attachments") or [],
            )
        except (ValidationError, PermissionDenied) as error:
            return _refused(request, project, form, error, **page)
        messages.success(request, _("Your message is on the timeline."))
        return redirect(f"{project_url_path(project)}#comment-{comment.pk}")
    return _action_page(request, project, form=form, **page)


def project_url_path(project) -> str:
    from django.urls import reverse

    return reverse("projects:detail", args=[project.pk])


@login_required
@require_GET
def project_attachment(request: HttpRequest, pk: int, attachment_pk: int) -> FileResponse:
    """A file from private storage, for those who may see it (404 for anyone else)."""
    attachment = selectors.project_attachment_for(
        project_pk=pk, attachment_pk=attachment_pk, user=request.user
    )
    return file_download(attachment.file, name=attachment.name)


# --- Quotes and execution -------------------------------------------------------------------


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
                form_errors_from(form, error)
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
            form_errors_from(form, error)
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
            form_errors_from(link_form, error)
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
            form_errors_from(form, error)
        else:
            messages.success(
                request,
                _("%(hours)s hours recorded on the project.")
                % {"hours": f"{entry.hours.normalize():f}"},
            )
            return _back(project)
    return render(request, "projects/staff_time_form.html", {"project": project, "form": form})


# --- statistics (projstats) ---------------------------------------------------------------


def statistics_allowed(user) -> bool:
    """Site staff and cluster managers read the projects' statistics."""
    return user.is_authenticated and (
        user.has_perm("accounts.run_site") or user.has_perm("accounts.manage_cluster")
    )


def _statistics_of(request: HttpRequest):
    if not statistics_allowed(request.user):
        raise PermissionDenied(_("Only staff and cluster managers read the statistics."))
    first, last = selectors.statistics_year_span()
    form = ProjectStatisticsFilterForm(
        request.GET or None, first_year=max(first, last - 9), last_year=last
    )
    chosen = form.filters()
    stats = selectors.project_statistics(
        first_year=chosen["first_year"], last_year=chosen["last_year"], site=chosen["site"]
    )
    return form, stats


@login_required
@require_GET
def project_statistics(request: HttpRequest) -> HttpResponse:
    form, stats = _statistics_of(request)
    return render(
        request,
        "projects/statistics.html",
        {"form": form, "stats": stats, "query": request.GET.urlencode()},
    )


@login_required
@require_GET
def project_statistics_export(request: HttpRequest, fmt: str) -> HttpResponse:
    stats = _statistics_of(request)[1]
    headers = [_("Table"), _("Year"), _("Group"), _("Measure"), _("Value")]
    keys = ["table", "year", "group", "measure", "value"]
    suffix = f"-{stats.site.slug}" if stats.site is not None else ""
    filename = f"project-statistics-{stats.first_year}-{stats.last_year}{suffix}.{fmt}"
    rows = selectors.statistics_rows(stats)
    if fmt == "xlsx":
        return xlsx_response(filename=filename, headers=headers, rows=rows, keys=keys)
    return csv_response(filename=filename, headers=headers, rows=rows, keys=keys)


# --- gallery: the public gallery and the documentation editor -----------------------------
# Imports of this section stay here so that the section merges as one block.


def gallery(request: HttpRequest) -> HttpResponse:
    """The public gallery: search, filters, one page of cards (htmx swaps the results)."""
    result = selectors.gallery_search(filters=selectors.gallery_filters_from(request.GET))
    context = {"result": result, "page": result.page, "filters": result.filters}
    if request.headers.get("HX-Request") == "true":
        return render(request, "projects/gallery_results.html", context)
    return render(request, "projects/gallery.html", context)


def gallery_detail(request: HttpRequest, slug: str) -> HttpResponse:
    documentation, writes = selectors.documentation_page(slug=slug, viewer=request.user)
    return render(
        request,
        "projects/gallery_detail.html",
        {
            "documentation": documentation,
            "writes": writes,
            **selectors.documentation_page_data(documentation=documentation),
        },
    )


def gallery_file(request: HttpRequest, slug: str, pk: int) -> FileResponse:
    shared = selectors.documentation_file_visible(slug=slug, pk=pk, viewer=request.user)
    # Shared with a documentation that may be public: still a download, never inline.
    return file_download(shared.file, name=shared.name, private=not shared.documentation.is_public)


@login_required
def gallery_mine(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "projects/gallery_mine.html",
        {
            "documentations": list(selectors.documentations_of(user=request.user)[:200]),
            "projects": list(selectors.projects_documentable_by(user=request.user)[:50]),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def gallery_new(request: HttpRequest) -> HttpResponse:
    form = DocumentationForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        changes["cover"] = changes["cover"] or None
        try:
            documentation = services.documentation_create(by=request.user, **changes)
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(
                request, _("The draft is saved. Add the steps, then publish it when ready.")
            )
            return redirect("projects:gallery-edit", documentation.slug)
    return render(
        request, "projects/gallery_new.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
@require_POST
def gallery_from_project(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Document this project": a draft prefilled from a delivered project."""
    project = selectors.project_visible_to(pk=pk, user=request.user)
    try:
        documentation = services.documentation_from_project(project=project, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        existing = getattr(project, "documentation", None)
        if existing is not None and selectors.user_edits_documentation(
            user=request.user, documentation=existing
        ):
            return redirect("projects:gallery-edit", existing.slug)
        return redirect("projects:gallery-mine")
    if documentation.confidential:
        messages.warning(
            request,
            _(
                "This project is confidential: its documentation stays private, for you and"
                " your collaborators. It can never be published."
            ),
        )
    messages.success(request, _("The draft is prefilled from the project: complete it."))
    return redirect("projects:gallery-edit", documentation.slug)


def _edit_page(request: HttpRequest, documentation, *, status: int = 200, **forms) -> HttpResponse:
    is_author = selectors.user_is_documentation_author(
        user=request.user, documentation=documentation
    )
    if "form" not in forms:
        forms["form"] = DocumentationForm(
            initial={
                "title": documentation.title,
                "summary": documentation.summary,
                "licence": documentation.licence,
                "organisation": documentation.organisation_id,
                "site": documentation.site_id,
                "sector": documentation.sector_id,
                "machines": list(documentation.machines.values_list("pk", flat=True)),
                "materials": list(documentation.materials.values_list("pk", flat=True)),
            },
            user=request.user if is_author else None,
            documentation=documentation,
        )
    forms.setdefault("step_form", StepForm(prefix="step"))
    forms.setdefault("file_form", DocumentationFileForm(prefix="file"))
    forms.setdefault("invite_form", CollaboratorInviteForm(prefix="invite"))
    forms.setdefault("publish_form", PublishForm(prefix="publish"))
    return render(
        request,
        "projects/gallery_edit.html",
        {
            "documentation": documentation,
            "is_author": is_author,
            **selectors.documentation_editor_data(documentation=documentation),
            **forms,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def gallery_edit(request: HttpRequest, slug: str) -> HttpResponse:
    documentation = selectors.documentation_editable(user=request.user, slug=slug)
    if request.method == "GET":
        return _edit_page(request, documentation)
    is_author = selectors.user_is_documentation_author(
        user=request.user, documentation=documentation
    )
    form = DocumentationForm(
        request.POST,
        request.FILES,
        user=request.user if is_author else None,
        documentation=documentation,
    )
    if form.is_valid():
        try:
            services.documentation_update(
                documentation=documentation, by=request.user, **form.changes()
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, _("The documentation is saved."))
            return redirect("projects:gallery-edit", documentation.slug)
    return _edit_page(request, documentation, form=form, status=400)


def _editable_step(request: HttpRequest, slug: str, pk: int) -> Step:
    documentation = selectors.documentation_editable(user=request.user, slug=slug)
    step = get_object_or_404(Step, pk=pk, documentation=documentation)
    step.documentation = documentation
    return step


@login_required
@require_POST
def gallery_step_add(request: HttpRequest, slug: str) -> HttpResponse:
    documentation = selectors.documentation_editable(user=request.user, slug=slug)
    form = StepForm(request.POST, request.FILES, prefix="step")
    if form.is_valid():
        try:
            services.step_add(
                documentation=documentation,
                by=request.user,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                image=form.cleaned_data.get("image"),
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, _("The step is added."))
            return redirect(_steps_anchor(documentation.slug))
    return _edit_page(request, documentation, step_form=form, status=400)


def _steps_anchor(slug: str) -> str:
    from django.urls import reverse

    return reverse("projects:gallery-edit", args=[slug]) + "#steps"


@login_required
@require_http_methods(["GET", "POST"])
def gallery_step_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    step = _editable_step(request, slug, pk)
    if request.method == "POST":
        form = StepForm(request.POST, request.FILES, step=step)
        if form.is_valid():
            image = form.cleaned_data.get("image") or (
                False if form.cleaned_data.get("image_clear") else None
            )
            try:
                services.step_update(
                    step=step,
                    by=request.user,
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                    image=image,
                )
            except ValidationError as error:
                form_errors_from(form, error)
            else:
                messages.success(request, _("The step is saved."))
                return redirect(_steps_anchor(slug))
    else:
        form = StepForm(initial={"title": step.title, "body": step.body}, step=step)
    return render(
        request,
        "projects/gallery_step_edit.html",
        {"documentation": step.documentation, "step": step, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def gallery_step_move(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    step = _editable_step(request, slug, pk)
    try:
        services.step_move(step=step, by=request.user, direction=request.POST.get("direction", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(_steps_anchor(slug))


@login_required
@require_POST
def gallery_step_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    step = _editable_step(request, slug, pk)
    services.step_delete(step=step, by=request.user)
    messages.success(request, _("The step “%(title)s” is removed.") % {"title": step.title})
    return redirect(_steps_anchor(slug))


@login_required
@require_POST
def gallery_file_add(request: HttpRequest, slug: str) -> HttpResponse:
    documentation = selectors.documentation_editable(user=request.user, slug=slug)
    form = DocumentationFileForm(request.POST, request.FILES, prefix="file")
    if form.is_valid():
        try:
            services.documentation_file_add(
                documentation=documentation, by=request.user, upload=form.cleaned_data["file"]
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, _("The file is added."))
            return redirect("projects:gallery-edit", slug)
    return _edit_page(request, documentation, file_form=form, status=400)


@login_required
@require_POST
def gallery_file_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    documentation = selectors.documentation_editable(user=request.user, slug=slug)
    shared = get_object_or_404(DocumentationFile, pk=pk, documentation=documentation)
    shared.documentation = documentation
    services.documentation_file_delete(shared=shared, by=request.user)
    messages.success(request, _("The file “%(name)s” is removed.") % {"name": shared.name})
    return redirect("projects:gallery-edit", slug)


@login_required
@require_POST
def gallery_collaborator_invite(request: HttpRequest, slug: str) -> HttpResponse:
    documentation = selectors.documentation_editable(user=request.user, slug=slug)
    form = CollaboratorInviteForm(request.POST, prefix="invite")
    if form.is_valid():
        try:
            collaborator, _secret = services.collaborator_invite(
                documentation=documentation, by=request.user, email=form.cleaned_data["email"]
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(
                request,
                _("An invitation is on its way to %(email)s.") % {"email": collaborator.email},
            )
            return redirect("projects:gallery-edit", slug)
    return _edit_page(request, documentation, invite_form=form, status=400)


@login_required
@require_POST
def gallery_collaborator_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    documentation = selectors.documentation_editable(user=request.user, slug=slug)
    collaborator = get_object_or_404(Collaborator, pk=pk, documentation=documentation)
    collaborator.documentation = documentation
    services.collaborator_remove(collaborator=collaborator, by=request.user)
    messages.success(
        request, _("%(email)s no longer writes this documentation.") % {"email": collaborator.email}
    )
    return redirect("projects:gallery-edit", slug)


@login_required
@require_POST
def gallery_publish(request: HttpRequest, slug: str) -> HttpResponse:
    documentation = selectors.documentation_editable(user=request.user, slug=slug)
    form = PublishForm(request.POST, prefix="publish")
    form.is_valid()
    try:
        services.documentation_publish(
            documentation=documentation,
            by=request.user,
            consent=bool(form.cleaned_data.get("consent")),
        )
    except ValidationError as error:
        form_errors_from(form, error)
        return _edit_page(request, documentation, publish_form=form, status=400)
    messages.success(request, _("The documentation is published in the gallery."))
    return redirect("projects:gallery-detail", slug)


@login_required
@require_POST
def gallery_withdraw(request: HttpRequest, slug: str) -> HttpResponse:
    documentation = selectors.documentation_editable(user=request.user, slug=slug)
    try:
        services.documentation_withdraw(documentation=documentation, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The documentation is withdrawn from the gallery."))
    return redirect("projects:gallery-edit", slug)


@login_required
@require_http_methods(["GET", "POST"])
def gallery_delete(request: HttpRequest, slug: str) -> HttpResponse:
    documentation = selectors.documentation_editable(user=request.user, slug=slug)
    if request.method == "POST":
        services.documentation_delete(documentation=documentation, by=request.user)
        messages.success(request, _("“%(title)s” is deleted.") % {"title": documentation.title})
        return redirect("projects:gallery-mine")
    return render(request, "projects/gallery_delete.html", {"documentation": documentation})


@login_required
@require_http_methods(["GET", "POST"])
def gallery_invitation(request: HttpRequest, secret: str) -> HttpResponse:
    """The page of an invitation link: who invites to what; accepting joins the writers."""
    try:
        collaborator = services.collaborator_find(secret=secret)
        if request.method == "POST":
            collaborator = services.collaborator_accept(secret=secret, user=request.user)
            messages.success(
                request,
                _("You now write “%(title)s” with its author.")
                % {"title": collaborator.documentation.title},
            )
            return redirect("projects:gallery-edit", collaborator.documentation.slug)
    except ValidationError as error:
        return render(
            request,
            "projects/gallery_invitation.html",
            {"error": " ".join(error.messages)},
            status=400,
        )
    return render(request, "projects/gallery_invitation.html", {"collaborator": collaborator})
