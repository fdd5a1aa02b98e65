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


# --- requests, triage and timeline --------------------------------------------------------
import mimetypes  # noqa: E402

from django.contrib import messages  # noqa: E402
from django.core.exceptions import PermissionDenied, ValidationError  # noqa: E402
from django.http import FileResponse, Http404  # noqa: E402
from django.shortcuts import redirect  # noqa: E402
from django.utils.translation import gettext as _  # noqa: E402
from django.views.decorators.http import require_GET, require_http_methods  # noqa: E402

from fabreck.projects import services  # noqa: E402
from fabreck.projects.forms import (  # noqa: E402
    CancelForm,
    CommentForm,
    DeclineForm,
    MoveNoteForm,
    ProjectRequestForm,
    StaffQueueForm,
    TriageForm,
)


def _errors_to_form(form, error: ValidationError) -> None:
    """A service's refusal shown on the form: field errors at their field."""
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


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
            _errors_to_form(form, error)
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
    _errors_to_form(form, error)
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
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as missing:
        raise Http404 from missing
    content_type = mimetypes.guess_type(attachment.name)[0] or "application/octet-stream"
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.name, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
