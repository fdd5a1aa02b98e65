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


# --- gallery: the public gallery and the documentation editor -----------------------------
# Imports of this section stay here so that the section merges as one block.
from django.contrib import messages  # noqa: E402
from django.core.exceptions import ValidationError  # noqa: E402
from django.http import FileResponse, Http404  # noqa: E402
from django.shortcuts import get_object_or_404, redirect  # noqa: E402
from django.utils.translation import gettext as _  # noqa: E402
from django.views.decorators.http import require_http_methods, require_POST  # noqa: E402

from fabreck.projects import services  # noqa: E402
from fabreck.projects.forms import (  # noqa: E402
    CollaboratorInviteForm,
    DocumentationFileForm,
    DocumentationForm,
    PublishForm,
    StepForm,
)
from fabreck.projects.models import Collaborator, DocumentationFile, Step  # noqa: E402


def _form_errors_from(form, error: ValidationError) -> None:
    """A service's ValidationError on the form, by field where the form has it."""
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


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
    try:
        handle = shared.file.open("rb")
    except (FileNotFoundError, OSError) as error:
        raise Http404 from error
    return FileResponse(handle, as_attachment=True, filename=shared.name)


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
            _form_errors_from(form, error)
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
            _form_errors_from(form, error)
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
            _form_errors_from(form, error)
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
                _form_errors_from(form, error)
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
            _form_errors_from(form, error)
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
            _form_errors_from(form, error)
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
        _form_errors_from(form, error)
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
