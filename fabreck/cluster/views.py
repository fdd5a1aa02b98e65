"""Directory, profiles, applications and the cluster managers' queue. Thin views."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fabreck.cluster.forms import ApplicationForm, DecisionForm, directory_filters_from
from fabreck.cluster.matchmaking import (
    complements_of,
    matches_for_need,
    organisations_for_matchmaking,
)
from fabreck.cluster.models import Organisation
from fabreck.cluster.selectors import (
    EXPORT_COLUMNS,
    cluster_summary,
    directory_export_rows,
    directory_search,
    membership_queue,
    organisation_export_data,
    organisation_managed_by,
    organisation_profile,
    organisations_of,
)
from fabreck.cluster.services import (
    OrganisationData,
    membership_decide,
    organisation_apply,
    organisation_delete,
)
from fabreck.core.exports import csv_response, xlsx_response
from fabreck.core.http import safe_next_url


@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    result = directory_search(filters=directory_filters_from(request.GET))
    template = "cluster/_results.html" if request.htmx else "cluster/directory.html"
    return render(request, template, {"result": result, "sizes": Organisation.Size.choices})


@require_GET
def profile(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = organisation_profile(slug=slug, viewer=request.user)
    return render(request, "cluster/profile.html", {"organisation": organisation})


@permission_required("accounts.manage_cluster", raise_exception=True)
@require_GET
def directory_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The directory as filtered on the page, as CSV or XLSX, for cluster managers."""
    rows = directory_export_rows(filters=directory_filters_from(request.GET))
    headers = [str(label) for _key, label in EXPORT_COLUMNS]
    keys = [key for key, _label in EXPORT_COLUMNS]
    filename = f"fabreck-directory-{timezone.localdate():%Y-%m-%d}.{fmt}"
    if fmt == "csv":
        return csv_response(filename=filename, headers=headers, rows=rows, keys=keys)
    return xlsx_response(filename=filename, headers=headers, rows=rows, keys=keys)


@login_required
@require_GET
def organisation_export(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = organisation_managed_by(user=request.user, slug=slug)
    response = JsonResponse(
        organisation_export_data(organisation=organisation),
        json_dumps_params={"indent": 2, "ensure_ascii": False},
    )
    response["Content-Disposition"] = f'attachment; filename="{organisation.slug}.json"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def organisation_delete_view(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = organisation_managed_by(user=request.user, slug=slug)
    error = None
    if request.method == "POST":
        try:
            organisation_delete(
                organisation=organisation,
                by=request.user,
                confirmation=request.POST.get("confirmation", ""),
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("%(name)s has been deleted.") % {"name": organisation.name})
            return redirect("cluster:my-organisations")
    return render(request, "cluster/delete.html", {"organisation": organisation, "error": error})


@permission_required("accounts.manage_cluster", raise_exception=True)
@require_GET
def summary(request: HttpRequest) -> HttpResponse:
    return render(request, "cluster/summary.html", {"summary": cluster_summary()})


@login_required
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest) -> HttpResponse:
    form = ApplicationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = OrganisationData(**form.cleaned_data)
        try:
            organisation = organisation_apply(user=request.user, data=data)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request,
                _("Thank you: the application of %(name)s has been sent to the cluster managers.")
                % {"name": organisation.name},
            )
            return redirect("cluster:my-organisations")
    return render(request, "cluster/apply.html", {"form": form})


@login_required
@require_GET
def my_organisations(request: HttpRequest) -> HttpResponse:
    memberships = list(organisations_of(user=request.user))
    complements = [
        (m.organisation, complements_of(organisation=m.organisation))
        for m in memberships
        if m.organisation.status == Organisation.Status.MEMBER
    ]
    return render(
        request,
        "cluster/my_organisations.html",
        {"memberships": memberships, "complements": complements},
    )


@login_required
@require_GET
def matchmaking(request: HttpRequest) -> HttpResponse:
    need = (request.GET.get("need") or "")[:2000]
    mine = organisations_for_matchmaking(user=request.user)
    exclude = next((o for o in mine if o.slug == request.GET.get("for")), None)
    needed, matches = matches_for_need(text=need, exclude=exclude) if need.strip() else ([], [])
    return render(
        request,
        "cluster/matchmaking.html",
        {"need": need, "needed": needed, "matches": matches, "mine": mine, "asker": exclude},
    )


@permission_required("accounts.manage_cluster", raise_exception=True)
@require_GET
def applications(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "cluster/applications.html",
        {"queue": membership_queue(), "form": DecisionForm()},
    )


@permission_required("accounts.manage_cluster", raise_exception=True)
@require_POST
def decide(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = get_object_or_404(Organisation, slug=slug)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision."))
        return redirect("cluster:applications")
    try:
        organisation = membership_decide(
            organisation=organisation,
            status=form.cleaned_data["decision"],
            reason=form.cleaned_data["reason"],
            by=request.user,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("%(name)s is now “%(status)s”.")
            % {"name": organisation.name, "status": organisation.get_status_display()},
        )
    return redirect(
        safe_next_url(request, request.POST.get("next"), reverse("cluster:applications"))
    )
