"""Pages of the incubator: thin views over the services and selectors."""

from __future__ import annotations

# --- calls ---
from django.contrib import messages  # noqa: E402, RUF100
from django.contrib.auth.decorators import login_required  # noqa: E402, RUF100
from django.core.exceptions import PermissionDenied, ValidationError  # noqa: E402, RUF100
from django.http import FileResponse, Http404, HttpRequest, HttpResponse  # noqa: E402, RUF100
from django.shortcuts import redirect, render  # noqa: E402, RUF100
from django.utils import timezone  # noqa: E402, RUF100
from django.utils.translation import gettext as _  # noqa: E402, RUF100
from django.views.decorators.http import require_GET, require_http_methods, require_POST  # noqa: E402, RUF100

from fabreck.core.http import file_download  # noqa: E402, RUF100
from fabreck.incubator import selectors as calls_selectors  # noqa: E402, RUF100
from fabreck.incubator import services as calls_services  # noqa: E402, RUF100
from fabreck.incubator.forms import (  # noqa: E402, RUF100
    CallsApplicationForm,
    CallsCallForm,
    CallsCohortForm,
    CallsCriterionForm,
    CallsFounderFormSet,
    CallsQuestionForm,
    CallsStatusFilterForm,
    calls_founders_from,
)


def _calls_errors_to_form(form, error: ValidationError) -> None:
    """A service's refusal shown on the form: field errors at their field, the rest on top."""
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _calls_manager(request: HttpRequest) -> None:
    if not calls_selectors.user_manages_incubator(user=request.user):
        raise PermissionDenied(_("Only the incubator's managers may open this page."))


@require_GET
def calls_list(request: HttpRequest) -> HttpResponse:
    """The published calls that are open now or will open."""
    now = timezone.now()
    calls = calls_selectors.calls_public(now=now)
    return render(
        request,
        "incubator/calls_list.html",
        {
            "open_calls": [call for call in calls if call.opens_at <= now],
            "upcoming_calls": [call for call in calls if call.opens_at > now],
        },
    )


@require_GET
def call_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A call's page: eligibility, dates, the questions to prepare, the way to apply."""
    call = calls_selectors.call_public_get(slug=slug, user=request.user)
    return render(
        request,
        "incubator/calls_detail.html",
        {
            "call": call,
            "is_open": call.is_open_at(timezone.now()),
            "has_opened": call.opens_at <= timezone.now(),
            "mine": calls_selectors.application_of_user_for_call(call=call, user=request.user),
            "manages": calls_selectors.user_manages_incubator(user=request.user),
        },
    )


def _file_name(field_file) -> str:
    """The name the founder gave the file (stored under a random folder)."""
    return field_file.name.rsplit("/", 1)[-1] if field_file else ""


def _application_form_page(request, *, call, application=None) -> HttpResponse:
    posted = request.method == "POST"
    form = CallsApplicationForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        call=call,
        user=request.user,
        application=application,
        initial=CallsApplicationForm.initial_for(application) if application else None,
    )
    if application is not None:
        founders_initial = [
            {"name": f.name, "email": f.email, "role": f.role} for f in application.founders.all()
        ]
    else:
        founders_initial = [
            {"name": request.user.display_name, "email": request.user.email, "role": ""}
        ]
    founders = CallsFounderFormSet(
        request.POST if posted else None, prefix="founders", initial=founders_initial
    )
    status = 200
    if posted:
        status = 400
        if form.is_valid() and founders.is_valid():
            saved = False
            try:
                application = calls_services.application_save(
                    call=call,
                    by=request.user,
                    data=form.application_data(calls_founders_from(founders)),
                    application=application,
                )
                saved = True
                if "submit" in request.POST:
                    calls_services.application_submit(application=application, by=request.user)
            except ValidationError as error:
                _calls_errors_to_form(form, error)
                if saved:
                    # The draft was saved; only the submission was refused.
                    messages.warning(
                        request, _("Your draft is saved, but it cannot be submitted yet.")
                    )
            else:
                if "submit" in request.POST:
                    messages.success(
                        request,
                        _("Your application is submitted. A confirmation is on its way by e-mail."),
                    )
                else:
                    messages.success(request, _("Your draft is saved."))
                return redirect("incubator:application", pk=application.pk)
    return render(
        request,
        "incubator/calls_apply.html",
        {
            "call": call,
            "form": form,
            "founders": founders,
            "application": application,
            "pitch_deck_name": _file_name(application.pitch_deck) if application else "",
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def call_apply(request: HttpRequest, slug: str) -> HttpResponse:
    """Start an application to an open call (or go on with one's own)."""
    call = calls_selectors.call_public_get(slug=slug, user=request.user)
    mine = calls_selectors.application_of_user_for_call(call=call, user=request.user)
    if mine is not None:
        return redirect("incubator:application-edit", pk=mine.pk)
    if not call.is_open_at(timezone.now()):
        messages.error(request, _("This call is not open for applications."))
        return redirect("incubator:call", slug=call.slug)
    return _application_form_page(request, call=call)


@login_required
@require_http_methods(["GET", "POST"])
def application_edit(request: HttpRequest, pk: int) -> HttpResponse:
    application = calls_selectors.application_of_team(pk=pk, user=request.user)
    if application.status != application.Status.DRAFT:
        messages.info(request, _("A submitted application can no longer be edited."))
        return redirect("incubator:application", pk=application.pk)
    if not application.call.is_open_at(timezone.now()):
        messages.error(request, _("The call is closed: the draft can no longer be edited."))
        return redirect("incubator:application", pk=application.pk)
    return _application_form_page(request, call=application.call, application=application)


@login_required
@require_GET
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An application for its team, the managers and its reviewers (404 for others)."""
    application = calls_selectors.application_visible_to(pk=pk, user=request.user)
    in_team = calls_selectors.user_in_application_team(user=request.user, application=application)
    answers = {answer.question_id: answer for answer in application.answers.all()}
    rows = [
        (
            question,
            answers.get(question.pk),
            _file_name(getattr(answers.get(question.pk), "file", None)),
        )
        for question in application.call.questions.all()
    ]
    missing = (
        calls_services.application_submit_problems(application=application)
        if in_team and application.status == application.Status.DRAFT
        else {}
    )
    return render(
        request,
        "incubator/calls_application.html",
        {
            "application": application,
            "call": application.call,
            "rows": rows,
            "in_team": in_team,
            "is_open": application.call.is_open_at(timezone.now()),
            "missing": missing,
            "pitch_deck_name": _file_name(application.pitch_deck),
            "can_withdraw": in_team
            and "withdrawn" in calls_services.APPLICATION_TRANSITIONS[application.status],
        },
    )


@login_required
@require_POST
def application_submit(request: HttpRequest, pk: int) -> HttpResponse:
    application = calls_selectors.application_of_team(pk=pk, user=request.user)
    try:
        calls_services.application_submit(application=application, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request, _("Your application is submitted. A confirmation is on its way by e-mail.")
        )
    return redirect("incubator:application", pk=application.pk)


@login_required
@require_POST
def application_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    application = calls_selectors.application_of_team(pk=pk, user=request.user)
    try:
        calls_services.application_withdraw(application=application, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Your application is withdrawn."))
    return redirect("incubator:application", pk=application.pk)


@login_required
@require_GET
def application_pitch_deck(request: HttpRequest, pk: int) -> FileResponse:
    application = calls_selectors.application_visible_to(pk=pk, user=request.user)
    if not application.pitch_deck:
        raise Http404
    return file_download(application.pitch_deck, name=_file_name(application.pitch_deck))


@login_required
@require_GET
def application_answer_file(request: HttpRequest, pk: int, answer_pk: int) -> FileResponse:
    answer = calls_selectors.application_answer_file(pk=pk, answer_pk=answer_pk, user=request.user)
    return file_download(answer.file, name=_file_name(answer.file))


@login_required
@require_GET
def applications_mine(request: HttpRequest) -> HttpResponse:
    """ "My applications", with their status."""
    return render(
        request,
        "incubator/calls_mine.html",
        {"applications": list(calls_selectors.applications_of(user=request.user))},
    )


# Managers ------------------------------------------------------------------------------------


@login_required
@require_GET
def calls_manage(request: HttpRequest) -> HttpResponse:
    """Cohorts and their calls, with their application counts."""
    _calls_manager(request)
    return render(
        request, "incubator/calls_manage.html", {"cohorts": calls_selectors.cohorts_with_calls()}
    )


def _calls_form_page(request, *, title, form, back, status=None, intro="") -> HttpResponse:
    return render(
        request,
        "incubator/calls_form.html",
        {"title": title, "form": form, "back": back, "intro": intro},
        status=status or (400 if form.is_bound else 200),
    )


@login_required
@require_http_methods(["GET", "POST"])
def cohort_create(request: HttpRequest) -> HttpResponse:
    _calls_manager(request)
    form = CallsCohortForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            cohort = calls_services.cohort_create(by=request.user, data=form.cohort_data())
        except ValidationError as error:
            _calls_errors_to_form(form, error)
        else:
            messages.success(request, _("The cohort %(name)s is created.") % {"name": cohort.name})
            return redirect("incubator:calls-manage")
    return _calls_form_page(
        request, title=_("New cohort"), form=form, back="incubator:calls-manage"
    )


@login_required
@require_http_methods(["GET", "POST"])
def call_create(request: HttpRequest) -> HttpResponse:
    _calls_manager(request)
    form = CallsCallForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            call = calls_services.call_create(by=request.user, data=form.call_data())
        except ValidationError as error:
            _calls_errors_to_form(form, error)
        else:
            messages.success(request, _("The call is created. Add its questions and criteria."))
            return redirect("incubator:call-manage", slug=call.slug)
    return _calls_form_page(
        request, title=_("New call for applications"), form=form, back="incubator:calls-manage"
    )


@login_required
@require_GET
def call_manage(request: HttpRequest, slug: str) -> HttpResponse:
    """A call for its managers: its settings, questions, criteria and applications."""
    call = calls_selectors.call_managed_get(slug=slug, user=request.user)
    return render(
        request,
        "incubator/calls_call_manage.html",
        {
            "call": call,
            "locked": calls_selectors.call_applications_submitted(call=call),
            "counts": calls_selectors.call_application_counts(call=call),
            "question_form": CallsQuestionForm(),
            "criterion_form": CallsCriterionForm(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def call_edit(request: HttpRequest, slug: str) -> HttpResponse:
    call = calls_selectors.call_managed_get(slug=slug, user=request.user)
    posted = request.method == "POST"
    form = CallsCallForm(request.POST if posted else None, initial=CallsCallForm.initial_for(call))
    if posted and form.is_valid():
        try:
            call = calls_services.call_update(call=call, by=request.user, data=form.call_data())
        except ValidationError as error:
            _calls_errors_to_form(form, error)
        else:
            messages.success(request, _("The call is saved."))
            return redirect("incubator:call-manage", slug=call.slug)
    return render(
        request,
        "incubator/calls_form.html",
        {"title": _("Edit the call"), "form": form, "call": call},
        status=400 if posted else 200,
    )


def _structure_page(request, *, call, form, title) -> HttpResponse:
    return render(
        request,
        "incubator/calls_form.html",
        {"title": title, "form": form, "call": call},
        status=400 if form.is_bound else 200,
    )


def _structure_refused(request, call, error: ValidationError) -> HttpResponse:
    for message in error.messages:
        messages.error(request, message)
    return redirect("incubator:call-manage", slug=call.slug)


@login_required
@require_http_methods(["GET", "POST"])
def question_add(request: HttpRequest, slug: str) -> HttpResponse:
    call = calls_selectors.call_managed_get(slug=slug, user=request.user)
    form = CallsQuestionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            calls_services.question_add(call=call, by=request.user, data=form.question_data())
        except ValidationError as error:
            _calls_errors_to_form(form, error)
        else:
            messages.success(request, _("The question is added."))
            return redirect("incubator:call-manage", slug=call.slug)
    return _structure_page(request, call=call, form=form, title=_("Add a question"))


@login_required
@require_http_methods(["GET", "POST"])
def question_edit(request: HttpRequest, pk: int) -> HttpResponse:
    question = calls_selectors.question_managed_get(pk=pk, user=request.user)
    posted = request.method == "POST"
    form = CallsQuestionForm(
        request.POST if posted else None, initial=CallsQuestionForm.initial_for(question)
    )
    if posted and form.is_valid():
        try:
            calls_services.question_update(
                question=question, by=request.user, data=form.question_data()
            )
        except ValidationError as error:
            _calls_errors_to_form(form, error)
        else:
            messages.success(request, _("The question is saved."))
            return redirect("incubator:call-manage", slug=question.call.slug)
    return _structure_page(request, call=question.call, form=form, title=_("Edit the question"))


@login_required
@require_POST
def question_move(request: HttpRequest, pk: int) -> HttpResponse:
    question = calls_selectors.question_managed_get(pk=pk, user=request.user)
    try:
        calls_services.question_move(
            question=question, by=request.user, up=request.POST.get("direction") == "up"
        )
    except ValidationError as error:
        return _structure_refused(request, question.call, error)
    return redirect("incubator:call-manage", slug=question.call.slug)


@login_required
@require_POST
def question_remove(request: HttpRequest, pk: int) -> HttpResponse:
    question = calls_selectors.question_managed_get(pk=pk, user=request.user)
    call = question.call
    try:
        calls_services.question_remove(question=question, by=request.user)
    except ValidationError as error:
        return _structure_refused(request, call, error)
    messages.success(request, _("The question is removed."))
    return redirect("incubator:call-manage", slug=call.slug)


@login_required
@require_http_methods(["GET", "POST"])
def criterion_add(request: HttpRequest, slug: str) -> HttpResponse:
    call = calls_selectors.call_managed_get(slug=slug, user=request.user)
    form = CallsCriterionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            calls_services.criterion_add(call=call, by=request.user, data=form.criterion_data())
        except ValidationError as error:
            _calls_errors_to_form(form, error)
        else:
            messages.success(request, _("The criterion is added."))
            return redirect("incubator:call-manage", slug=call.slug)
    return _structure_page(request, call=call, form=form, title=_("Add a criterion"))


@login_required
@require_http_methods(["GET", "POST"])
def criterion_edit(request: HttpRequest, pk: int) -> HttpResponse:
    criterion = calls_selectors.criterion_managed_get(pk=pk, user=request.user)
    posted = request.method == "POST"
    form = CallsCriterionForm(
        request.POST if posted else None, initial=CallsCriterionForm.initial_for(criterion)
    )
    if posted and form.is_valid():
        try:
            calls_services.criterion_update(
                criterion=criterion, by=request.user, data=form.criterion_data()
            )
        except ValidationError as error:
            _calls_errors_to_form(form, error)
        else:
            messages.success(request, _("The criterion is saved."))
            return redirect("incubator:call-manage", slug=criterion.call.slug)
    return _structure_page(request, call=criterion.call, form=form, title=_("Edit the criterion"))


@login_required
@require_POST
def criterion_remove(request: HttpRequest, pk: int) -> HttpResponse:
    criterion = calls_selectors.criterion_managed_get(pk=pk, user=request.user)
    call = criterion.call
    try:
        calls_services.criterion_remove(criterion=criterion, by=request.user)
    except ValidationError as error:
        return _structure_refused(request, call, error)
    messages.success(request, _("The criterion is removed."))
    return redirect("incubator:call-manage", slug=call.slug)


@login_required
@require_GET
def call_applications(request: HttpRequest, slug: str) -> HttpResponse:
    """A call's applications for its managers, filtered by status, with the counts."""
    call = calls_selectors.call_managed_get(slug=slug, user=request.user)
    form = CallsStatusFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    page = calls_selectors.call_applications_page(
        call=call, status=status, page=request.GET.get("page") or 1
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "incubator/calls_applications.html",
        {
            "call": call,
            "form": form,
            "status": status,
            "page": page,
            "query": query.urlencode(),
            "counts": calls_selectors.call_application_counts(call=call),
        },
    )
