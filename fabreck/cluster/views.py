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

from fabreck.cluster.forms import (
    ApplicationForm,
    DecisionForm,
    InvitationForm,
    PortfolioItemForm,
    RoleForm,
    directory_filters_from,
)
from fabreck.cluster.matchmaking import (
    complements_of,
    matches_for_need,
    organisations_for_matchmaking,
)
from fabreck.cluster.models import (
    Organisation,
    OrganisationInvitation,
    OrganisationPerson,
    PortfolioItem,
)
from fabreck.cluster.selectors import (
    EXPORT_COLUMNS,
    cluster_summary,
    directory_export_rows,
    directory_search,
    membership_queue,
    organisation_export_data,
    organisation_form_initial,
    organisation_is_managed_by,
    organisation_managed_by,
    organisation_people,
    organisation_profile,
    organisations_of,
)
from fabreck.cluster.services import (
    OrganisationData,
    invitation_accept,
    invitation_find,
    invitation_revoke,
    membership_decide,
    organisation_apply,
    organisation_delete,
    organisation_update,
    person_invite,
    person_remove,
    person_role_change,
    portfolio_item_add,
    portfolio_item_delete,
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
    can_manage = organisation_is_managed_by(organisation=organisation, user=request.user)
    return render(
        request, "cluster/profile.html", {"organisation": organisation, "can_manage": can_manage}
    )


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
        {
            "memberships": memberships,
            "complements": complements,
            "calls_for_you": calls_dashboard(user=request.user),
            "consortia": consortia_of(user=request.user),
        },
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


# --- Editing a profile, its people and its portfolio --------------------------------


def _form_errors_from(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form, by field where the form has it."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@login_required
@require_http_methods(["GET", "POST"])
def organisation_edit(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = organisation_managed_by(user=request.user, slug=slug)
    form = ApplicationForm(
        request.POST or None,
        request.FILES or None,
        initial=organisation_form_initial(organisation=organisation),
    )
    if request.method == "POST" and form.is_valid():
        try:
            organisation = organisation_update(
                organisation=organisation,
                by=request.user,
                data=OrganisationData(**form.cleaned_data),
            )
        except ValidationError as error:
            _form_errors_from(form, error)
        else:
            messages.success(request, _("The profile has been saved."))
            return redirect("cluster:profile", organisation.slug)
    return render(request, "cluster/edit.html", {"form": form, "organisation": organisation})


@login_required
@require_http_methods(["GET", "POST"])
def organisation_people_view(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = get_object_or_404(Organisation, slug=slug)
    people = organisation_people(organisation=organisation, viewer=request.user)
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, _secret = person_invite(
                organisation=organisation, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            _form_errors_from(form, error)
        else:
            messages.success(
                request,
                _("An invitation has been sent to %(email)s.") % {"email": invitation.email},
            )
            return redirect("cluster:people", organisation.slug)
    return render(
        request,
        "cluster/people.html",
        {
            "organisation": organisation,
            "people": people,
            "form": form,
            "roles": OrganisationPerson.Role.choices,
            "can_manage": people.viewer_role in ("owner", "admin"),
        },
    )


def _person_action(request: HttpRequest, slug: str, pk: int, action) -> HttpResponse:
    person = get_object_or_404(
        OrganisationPerson.objects.select_related("organisation", "user"),
        pk=pk,
        organisation__slug=slug,
    )
    try:
        action(person)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    if not OrganisationPerson.objects.filter(
        organisation=person.organisation, user=request.user
    ).exists():
        return redirect("cluster:my-organisations")  # they left
    return redirect("cluster:people", slug)


@login_required
@require_POST
def person_role(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    form = RoleForm(request.POST)
    role = form.cleaned_data["role"] if form.is_valid() else ""

    def change(person: OrganisationPerson) -> None:
        person_role_change(person=person, by=request.user, role=role)
        messages.success(
            request,
            _("%(name)s is now %(role)s.")
            % {"name": person.user.display_name, "role": person.get_role_display()},
        )

    return _person_action(request, slug, pk, change)


@login_required
@require_POST
def person_remove_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    def remove(person: OrganisationPerson) -> None:
        person_remove(person=person, by=request.user)
        messages.success(
            request,
            _("%(name)s no longer belongs to %(organisation)s.")
            % {"name": person.user.display_name, "organisation": person.organisation.name},
        )

    return _person_action(request, slug, pk, remove)


@login_required
@require_POST
def invitation_revoke_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    invitation = get_object_or_404(OrganisationInvitation, pk=pk, organisation__slug=slug)
    invitation_revoke(invitation=invitation, by=request.user)
    messages.success(
        request, _("The invitation of %(email)s is withdrawn.") % {"email": invitation.email}
    )
    return redirect("cluster:people", slug)


@login_required
@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, secret: str) -> HttpResponse:
    try:
        found = invitation_find(secret=secret)
        if request.method == "POST":
            person = invitation_accept(secret=secret, user=request.user)
            messages.success(
                request,
                _("Welcome to %(organisation)s.") % {"organisation": person.organisation.name},
            )
            return redirect("cluster:my-organisations")
    except ValidationError as error:
        return render(
            request, "cluster/invitation.html", {"error": " ".join(error.messages)}, status=400
        )
    return render(request, "cluster/invitation.html", {"invitation": found})


@login_required
@require_http_methods(["GET", "POST"])
def portfolio(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = organisation_managed_by(user=request.user, slug=slug)
    form = PortfolioItemForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            portfolio_item_add(organisation=organisation, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            _form_errors_from(form, error)
        else:
            messages.success(request, _("The item has been added to the portfolio."))
            return redirect("cluster:portfolio", organisation.slug)
    return render(
        request,
        "cluster/portfolio.html",
        {"organisation": organisation, "form": form, "items": organisation.portfolio_items.all()},
    )


@login_required
@require_POST
def portfolio_item_delete_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    organisation = organisation_managed_by(user=request.user, slug=slug)
    item = get_object_or_404(PortfolioItem, pk=pk, organisation=organisation)
    portfolio_item_delete(item=item, by=request.user)
    messages.success(request, _("“%(title)s” has been removed.") % {"title": item.title})
    return redirect("cluster:portfolio", organisation.slug)


# --- Collaboration requests (issue 3, item 6) -------------------------------------------
# Imports of this section stay here so that the section merges as one block.
from django.core.exceptions import PermissionDenied  # noqa: E402

from fabreck.cluster.forms import (  # noqa: E402
    CollaborationMessageForm,
    CollaborationRequestForm,
    collaboration_filters_from,
)
from fabreck.cluster.matchmaking import matches_for_competences  # noqa: E402
from fabreck.cluster.models import CollaborationRequest, Competence, Sector  # noqa: E402
from fabreck.cluster.selectors import (  # noqa: E402
    collaboration_answer_organisations,
    collaboration_inbox,
    collaboration_poster_organisations,
    collaboration_request_conversations,
    collaboration_request_detail,
    collaboration_requests_open,
    collaboration_thread,
    organisation_ids_of,
)
from fabreck.cluster.services import (  # noqa: E402
    CollaborationRequestData,
    collaboration_message_send,
    collaboration_request_close,
    collaboration_request_post,
    collaboration_request_reopen,
    collaboration_request_update,
)


@login_required
@require_GET
def collaboration_list(request: HttpRequest) -> HttpResponse:
    filters = collaboration_filters_from(request.GET)
    page = collaboration_requests_open(filters=filters, viewer=request.user)
    return render(
        request,
        "cluster/collaboration_list.html",
        {
            "page": page,
            "filters": filters,
            "kinds": CollaborationRequest.Kind.choices,
            "competences": Competence.objects.filter(is_active=True).order_by("label_en"),
            "sectors": Sector.objects.all(),
            "can_post": collaboration_poster_organisations(user=request.user).exists(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def collaboration_post(request: HttpRequest) -> HttpResponse:
    organisations = collaboration_poster_organisations(user=request.user)
    form = CollaborationRequestForm(request.POST or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            posted = collaboration_request_post(
                user=request.user,
                organisation=data["organisation"],
                data=CollaborationRequestData(
                    kind=data["kind"],
                    title=data["title"],
                    description=data["description"],
                    competences=data["competences"],
                    deadline=data["deadline"],
                ),
            )
        except ValidationError as error:
            _form_errors_from(form, error)
        else:
            messages.success(request, _("Your request is posted."))
            return redirect("cluster:collaboration-detail", pk=posted.pk)
    return render(
        request,
        "cluster/collaboration_form.html",
        {"form": form, "organisations": organisations, "collaboration": None},
    )


@login_required
@require_GET
def collaboration_detail(request: HttpRequest, pk: int) -> HttpResponse:
    collaboration = collaboration_request_detail(pk=pk, viewer=request.user)
    mine = organisation_ids_of(user=request.user)
    is_own = collaboration.organisation_id in mine
    matches = matches_for_competences(
        competence_ids=[c.pk for c in collaboration.competences.all()],
        exclude=collaboration.organisation,
    )
    return render(
        request,
        "cluster/collaboration_detail.html",
        {
            "collaboration": collaboration,
            "is_own": is_own,
            "matches": matches,
            "conversations": collaboration_request_conversations(
                request=collaboration, viewer=request.user
            ),
            "mine": mine,
            "answer_organisations": []
            if is_own or not collaboration.is_open
            else collaboration_answer_organisations(request=collaboration, viewer=request.user),
            "form": CollaborationMessageForm(),
        },
    )


def _collaboration_own(request: HttpRequest, pk: int) -> CollaborationRequest:
    collaboration = collaboration_request_detail(pk=pk, viewer=request.user)
    if collaboration.organisation_id not in organisation_ids_of(user=request.user):
        raise PermissionDenied
    return collaboration


@login_required
@require_http_methods(["GET", "POST"])
def collaboration_edit(request: HttpRequest, pk: int) -> HttpResponse:
    collaboration = _collaboration_own(request, pk)
    initial = {
        "kind": collaboration.kind,
        "title": collaboration.title,
        "description": collaboration.description,
        "competences": list(collaboration.competences.all()),
        "deadline": collaboration.deadline,
    }
    form = CollaborationRequestForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            collaboration_request_update(
                request=collaboration,
                user=request.user,
                data=CollaborationRequestData(
                    kind=data["kind"],
                    title=data["title"],
                    description=data["description"],
                    competences=data["competences"],
                    deadline=data["deadline"],
                ),
            )
        except ValidationError as error:
            _form_errors_from(form, error)
        else:
            messages.success(request, _("The request is updated."))
            return redirect("cluster:collaboration-detail", pk=collaboration.pk)
    return render(
        request, "cluster/collaboration_form.html", {"form": form, "collaboration": collaboration}
    )


@login_required
@require_POST
def collaboration_status(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    collaboration = _collaboration_own(request, pk)
    change = collaboration_request_close if action == "close" else collaboration_request_reopen
    try:
        change(request=collaboration, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("The request is closed: it takes no new conversations.")
            if action == "close"
            else _("The request is open again."),
        )
    return redirect("cluster:collaboration-detail", pk=collaboration.pk)


@login_required
@require_POST
def collaboration_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Another member answers a request: the first message of a conversation."""
    collaboration = collaboration_request_detail(pk=pk, viewer=request.user)
    candidates = collaboration_answer_organisations(request=collaboration, viewer=request.user)
    organisation = next(
        (o for o in candidates if o.slug == request.POST.get("organisation")),
        candidates[0] if len(candidates) == 1 else None,
    )
    if organisation is None:
        messages.error(request, _("Choose the organisation you answer for."))
        return redirect("cluster:collaboration-detail", pk=collaboration.pk)
    try:
        collaboration_message_send(
            sender=request.user,
            sender_organisation=organisation,
            request=collaboration,
            recipient_organisation=collaboration.organisation,
            body=request.POST.get("body", ""),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("cluster:collaboration-detail", pk=collaboration.pk)
    messages.success(
        request,
        _("Your message was sent to %(name)s.") % {"name": collaboration.organisation.name},
    )
    return redirect(
        "cluster:collaboration-conversation", pk=collaboration.pk, slug=organisation.slug
    )


@login_required
@require_http_methods(["GET", "POST"])
def collaboration_conversation(request: HttpRequest, pk: int, slug: str) -> HttpResponse:
    """One conversation, seen by either side; the reply form writes to the other side."""
    thread = collaboration_thread(request_pk=pk, counterpart_slug=slug, viewer=request.user)
    form = CollaborationMessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        answered = next(
            (m for m in reversed(thread.messages) if m.sender_organisation_id == thread.other.pk),
            None,
        )
        try:
            collaboration_message_send(
                sender=request.user,
                sender_organisation=thread.me,
                request=thread.request,
                recipient_organisation=thread.other,
                body=form.cleaned_data["body"],
                parent=answered,
            )
        except ValidationError as error:
            _form_errors_from(form, error)
        else:
            messages.success(
                request, _("Your message was sent to %(name)s.") % {"name": thread.other.name}
            )
            return redirect("cluster:collaboration-conversation", pk=pk, slug=slug)
    return render(
        request, "cluster/collaboration_conversation.html", {"thread": thread, "form": form}
    )


@login_required
@require_GET
def collaboration_inbox_view(request: HttpRequest) -> HttpResponse:
    try:
        number = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        number = 1
    page, mine = collaboration_inbox(viewer=request.user, page=number)
    conversations = [(c, c.other_side(mine)) for c in page.object_list]
    return render(
        request,
        "cluster/collaboration_inbox.html",
        {"page": page, "conversations": conversations},
    )


# --- Calls for projects and consortia ------------------------------------------------

from django.http import FileResponse, HttpResponseRedirect  # noqa: E402

from fabreck.cluster.forms import (  # noqa: E402
    CallDocumentForm,
    CallForm,
    ConsortiumCreateForm,
    InviteForm,
    call_filters_from,
    call_form_initial,
)
from fabreck.cluster.models import Call, CallDocument, ConsortiumMembership  # noqa: E402
from fabreck.cluster.selectors import (  # noqa: E402
    call_detail,
    call_document_for,
    call_filter_choices,
    call_is_open,
    call_viewer_organisations,
    calls_dashboard,
    calls_managed,
    calls_search,
    consortia_of,
    consortium_detail,
    consortium_managed_organisations,
    organisations_answering_for,
)
from fabreck.cluster.services import (  # noqa: E402
    CallData,
    call_close,
    call_create,
    call_digest_consent_set,
    call_document_add,
    call_document_delete,
    call_interest_declare,
    call_interest_withdraw,
    call_publish,
    call_update,
    consortium_create,
    consortium_dissolve,
    consortium_invite,
    consortium_lead_hand_over,
    consortium_leave,
    consortium_respond,
)


def _refused(request: HttpRequest, error: ValidationError | PermissionDenied) -> None:
    """A service said no: its reason, in the user's language, as a message."""
    text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
    messages.error(request, text or _("You may not do this."))


def _form_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@require_GET
def calls(request: HttpRequest) -> HttpResponse:
    filters = call_filters_from(request.GET)
    return render(
        request,
        "cluster/calls.html",
        {"page": calls_search(filters=filters), "filters": filters, **call_filter_choices()},
    )


@require_GET
def call(request: HttpRequest, slug: str) -> HttpResponse:
    call = call_detail(slug=slug, viewer=request.user)
    mine = call_viewer_organisations(call=call, user=request.user)
    can_lead = [m.organisation for m in mine if m.consortium is None]
    return render(
        request,
        "cluster/call.html",
        {
            "call": call,
            "is_open": call_is_open(call),
            "mine": mine,
            "can_lead": can_lead,
            "consortium_form": ConsortiumCreateForm(organisations=can_lead),
        },
    )


@require_GET
def call_document(request: HttpRequest, slug: str, pk: int) -> FileResponse:
    document = call_document_for(slug=slug, pk=pk, viewer=request.user)
    return FileResponse(document.file.open("rb"), as_attachment=True, filename=document.filename)


def _my_organisation(request: HttpRequest, slug: str | None):
    """One of the member organisations the user administers, named in the POST."""
    return next((o for o in organisations_answering_for(user=request.user) if o.slug == slug), None)


@login_required
@require_POST
def call_interest(request: HttpRequest, slug: str) -> HttpResponse:
    call = call_detail(slug=slug, viewer=request.user)
    organisation = _my_organisation(request, request.POST.get("organisation"))
    back = redirect("cluster:call", slug=call.slug)
    if organisation is None:
        messages.error(request, _("Choose one of the member organisations you administer."))
        return back
    try:
        if request.POST.get("action") == "withdraw":
            call_interest_withdraw(call=call, organisation=organisation, by=request.user)
            messages.success(
                request,
                _("%(name)s no longer declares interest in this call.")
                % {"name": organisation.name},
            )
        else:
            call_interest_declare(call=call, organisation=organisation, by=request.user)
            messages.success(
                request, _("%(name)s is interested in this call.") % {"name": organisation.name}
            )
    except (ValidationError, PermissionDenied) as error:
        _refused(request, error)
    return back


@login_required
@require_POST
def consortium_new(request: HttpRequest, slug: str) -> HttpResponse:
    call = call_detail(slug=slug, viewer=request.user)
    form = ConsortiumCreateForm(
        request.POST, organisations=organisations_answering_for(user=request.user)
    )
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("cluster:call", slug=call.slug)
    try:
        consortium = consortium_create(
            call=call, lead=form.cleaned_data["lead"], name=form.cleaned_data["name"],
            by=request.user,
        )  # fmt: skip
    except (ValidationError, PermissionDenied) as error:
        _refused(request, error)
        return redirect("cluster:call", slug=call.slug)
    messages.success(
        request, _("The consortium “%(name)s” is formed: invite members.") % {"name": consortium}
    )
    return redirect("cluster:consortium", pk=consortium.pk)


def _consortium_page(request: HttpRequest, consortium, invite_form=None) -> HttpResponse:
    mine = consortium_managed_organisations(consortium=consortium, user=request.user)
    interested = []
    if consortium.lead_id in mine:
        in_it = {m.organisation_id for m in consortium.all_memberships if m.status in {
            ConsortiumMembership.Status.INVITED, ConsortiumMembership.Status.ACCEPTED}}  # fmt: skip
        interested = [
            interest.organisation
            for interest in consortium.call.interests.select_related("organisation")
            .filter(organisation__status=Organisation.Status.MEMBER)
            .exclude(organisation_id__in=in_it)
            .order_by("organisation__name")[:50]
        ]
    return render(
        request,
        "cluster/consortium.html",
        {
            "consortium": consortium,
            "call": consortium.call,
            "is_open": call_is_open(consortium.call),
            "mine": mine,
            "leads": consortium.lead_id in mine,
            "invite_form": invite_form or InviteForm(),
            "interested": interested,
            "accepted_others": [
                m for m in consortium.all_memberships
                if m.status == ConsortiumMembership.Status.ACCEPTED
                and m.organisation_id != consortium.lead_id
            ],
        },
    )  # fmt: skip


@login_required
@require_GET
def consortium(request: HttpRequest, pk: int) -> HttpResponse:
    return _consortium_page(request, consortium_detail(pk=pk, viewer=request.user))


@login_required
@require_POST
def consortium_invite_view(request: HttpRequest, pk: int) -> HttpResponse:
    consortium = consortium_detail(pk=pk, viewer=request.user)
    form = InviteForm(request.POST)
    if form.is_valid():
        organisation = form.cleaned_data["organisation"]
        try:
            consortium_invite(consortium=consortium, organisation=organisation, by=request.user)
        except ValidationError as error:
            _form_errors(form, error)
        except PermissionDenied as error:
            _refused(request, error)
            return redirect("cluster:consortium", pk=consortium.pk)
        else:
            messages.success(
                request,
                _("%(name)s is invited; its admins are told by e-mail.")
                % {"name": organisation.name},
            )
            return redirect("cluster:consortium", pk=consortium.pk)
    response = _consortium_page(request, consortium, invite_form=form)
    response.status_code = 400
    return response


def _membership_named(consortium, slug: str | None):
    return next((m for m in consortium.all_memberships if m.organisation.slug == slug), None)


@login_required
@require_POST
def consortium_respond_view(request: HttpRequest, pk: int) -> HttpResponse:
    consortium = consortium_detail(pk=pk, viewer=request.user)
    membership = _membership_named(consortium, request.POST.get("organisation"))
    if membership is None:
        messages.error(request, _("This organisation is not invited to this consortium."))
    else:
        accept = request.POST.get("decision") == "accept"
        try:
            consortium_respond(membership=membership, accept=accept, by=request.user)
        except (ValidationError, PermissionDenied) as error:
            _refused(request, error)
        else:
            messages.success(
                request,
                (
                    _("%(name)s joined the consortium.")
                    if accept
                    else _("%(name)s declined the invitation.")
                )
                % {"name": membership.organisation.name},
            )
    return redirect("cluster:consortium", pk=consortium.pk)


@login_required
@require_POST
def consortium_leave_view(request: HttpRequest, pk: int) -> HttpResponse:
    consortium = consortium_detail(pk=pk, viewer=request.user)
    membership = _membership_named(consortium, request.POST.get("organisation"))
    try:
        if membership is None:
            raise ValidationError(_("This organisation is not in this consortium."))
        consortium_leave(
            consortium=consortium, organisation=membership.organisation, by=request.user
        )
    except (ValidationError, PermissionDenied) as error:
        _refused(request, error)
    else:
        messages.success(
            request,
            _("%(name)s left the consortium.") % {"name": membership.organisation.name},
        )
    return redirect("cluster:consortium", pk=consortium.pk)


@login_required
@require_POST
def consortium_hand_over_view(request: HttpRequest, pk: int) -> HttpResponse:
    consortium = consortium_detail(pk=pk, viewer=request.user)
    membership = _membership_named(consortium, request.POST.get("organisation"))
    try:
        if membership is None:
            raise ValidationError(_("This organisation is not in this consortium."))
        consortium_lead_hand_over(
            consortium=consortium, to=membership.organisation, by=request.user
        )
    except (ValidationError, PermissionDenied) as error:
        _refused(request, error)
    else:
        messages.success(
            request, _("%(name)s now leads the consortium.") % {"name": membership.organisation}
        )
    return redirect("cluster:consortium", pk=consortium.pk)


@login_required
@require_POST
def consortium_dissolve_view(request: HttpRequest, pk: int) -> HttpResponse:
    consortium = consortium_detail(pk=pk, viewer=request.user)
    try:
        consortium_dissolve(consortium=consortium, by=request.user)
    except PermissionDenied as error:
        _refused(request, error)
        return redirect("cluster:consortium", pk=consortium.pk)
    messages.success(request, _("The consortium is dissolved."))
    return redirect("cluster:call", slug=consortium.call.slug)


@login_required
@require_POST
def call_digest_consent(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = organisation_managed_by(user=request.user, slug=slug)
    consent = request.POST.get("consent") == "1"
    call_digest_consent_set(organisation=organisation, by=request.user, consent=consent)
    messages.success(
        request,
        (_("%(name)s will receive the digest of matching calls.") if consent
         else _("%(name)s will no longer receive the digest of calls."))
        % {"name": organisation.name},
    )  # fmt: skip
    return redirect("cluster:my-organisations")


# Cluster managers' pages


def _call_data(form: CallForm, *, slug: str = "") -> CallData:
    return CallData(**form.cleaned_data, slug=slug)


@permission_required("accounts.manage_cluster", raise_exception=True)
@require_GET
def calls_manage(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    return render(
        request,
        "cluster/calls_manage.html",
        {"calls": calls_managed(status=status), "status": status, "statuses": Call.Status.choices},
    )


@permission_required("accounts.manage_cluster", raise_exception=True)
@require_http_methods(["GET", "POST"])
def call_new(request: HttpRequest) -> HttpResponse:
    form = CallForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            call = call_create(by=request.user, data=_call_data(form))
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("The call is saved as a draft."))
            return redirect("cluster:call-edit", slug=call.slug)
    return render(request, "cluster/call_form.html", {"form": form, "call": None})


@permission_required("accounts.manage_cluster", raise_exception=True)
@require_http_methods(["GET", "POST"])
def call_edit(request: HttpRequest, slug: str) -> HttpResponse:
    call = get_object_or_404(Call, slug=slug)
    form = CallForm(request.POST or None, initial=call_form_initial(call))
    if request.method == "POST" and form.is_valid():
        try:
            call_update(call=call, by=request.user, data=_call_data(form))
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("The call is saved."))
            return redirect("cluster:call-edit", slug=call.slug)
    return render(
        request,
        "cluster/call_form.html",
        {"form": form, "call": call, "document_form": CallDocumentForm(),
         "documents": call.documents.all()},
    )  # fmt: skip


@permission_required("accounts.manage_cluster", raise_exception=True)
@require_POST
def call_document_upload(request: HttpRequest, slug: str) -> HttpResponse:
    call = get_object_or_404(Call, slug=slug)
    form = CallDocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            call_document_add(
                call=call, by=request.user, title=form.cleaned_data["title"],
                file=form.cleaned_data["file"],
            )  # fmt: skip
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("The document is attached."))
            return redirect("cluster:call-edit", slug=call.slug)
    response = render(
        request,
        "cluster/call_form.html",
        {"form": CallForm(initial=call_form_initial(call)), "call": call,
         "document_form": form, "documents": call.documents.all()},
    )  # fmt: skip
    response.status_code = 400
    return response


@permission_required("accounts.manage_cluster", raise_exception=True)
@require_POST
def call_document_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    document = get_object_or_404(CallDocument, call__slug=slug, pk=pk)
    call_document_delete(document=document, by=request.user)
    messages.success(request, _("The document is removed."))
    return redirect("cluster:call-edit", slug=slug)


@permission_required("accounts.manage_cluster", raise_exception=True)
@require_POST
def call_status(request: HttpRequest, slug: str, action: str) -> HttpResponse:
    call = get_object_or_404(Call, slug=slug)
    try:
        if action == "publish":
            call_publish(call=call, by=request.user)
            messages.success(request, _("The call is published."))
        else:
            call_close(call=call, by=request.user)
            messages.success(request, _("The call is closed."))
    except ValidationError as error:
        _refused(request, error)
    return HttpResponseRedirect(
        safe_next_url(request, request.POST.get("next"), reverse("cluster:call-edit", args=[slug]))
    )
