"""Pages of the incubator: thin views over the services and selectors."""

from __future__ import annotations

# --- startups ---
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)

from fabreck.core.exports import csv_response, xlsx_response
from fabreck.core.forms import form_errors_from
from fabreck.core.http import file_download
from fabreck.incubator import selectors, services
from fabreck.incubator.forms import (
    CallsApplicationForm,
    CallsCallForm,
    CallsCohortForm,
    CallsCriterionForm,
    CallsFounderFormSet,
    CallsQuestionForm,
    CallsStatusFilterForm,
    ChecklistItemForm,
    DecisionForm,
    HostingForm,
    KpiUpdateForm,
    MentorForm,
    MentorSessionForm,
    MilestoneEvidenceForm,
    MilestoneForm,
    NeededCompetencesForm,
    PhaseMoveForm,
    ReviewAssignForm,
    ReviewConflictForm,
    ReviewScoreForm,
    StartupsFilterForm,
    calls_founders_from,
)
from fabreck.incubator.models import Cohort, KpiUpdate, Mentor, Review


def _manager_only(request: HttpRequest) -> None:
    """The incubator's management pages: 403 for anyone else (signed in)."""
    if not selectors.user_manages_incubator(user=request.user):
        raise PermissionDenied(_("Only the incubator's managers may open this page."))


def _startups_form_page(request, incubation, *, form, title, button, multipart=False, intro=""):
    return render(
        request,
        "incubator/startups_form.html",
        {
            "incubation": incubation,
            "form": form,
            "title": title,
            "button": button,
            "multipart": multipart,
            "intro": intro,
        },
        # A refused form says so to the browser and to tests, as the other pages do.
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_GET
def startups_list(request: HttpRequest) -> HttpResponse:
    """The managers' list of startups, by cohort, with their phase and open milestones."""
    _manager_only(request)
    form = StartupsFilterForm(request.GET or None)
    rows = list(selectors.startups_list(**form.filters()))
    return render(request, "incubator/startups_list.html", {"form": form, "rows": rows})


def _startup_render(request: HttpRequest, incubation) -> HttpResponse:
    user = request.user
    manages = selectors.user_manages_incubator(user=user)
    speaks = selectors.user_speaks_for_startup(user=user, incubation=incubation)
    mentor = selectors.user_mentors(user=user)
    page = selectors.startup_page(incubation=incubation)
    return render(
        request,
        "incubator/startups_detail.html",
        {
            "page": page,
            "incubation": incubation,
            "manages": manages,
            "speaks": speaks,
            "gives_evidence": incubation.is_running and (manages or speaks),
            "logs_sessions": incubation.is_running
            and (manages or (mentor is not None and mentor.active)),
            "phase_form": PhaseMoveForm(incubation=incubation, initial={"on": timezone.localdate()})
            if manages and incubation.is_running
            else None,
            "checklist_form": ChecklistItemForm(initial={"phase": incubation.phase})
            if manages and incubation.is_running
            else None,
        },
    )


@login_required
@require_GET
def startup_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incubation = selectors.startup_visible_to(pk=pk, user=request.user)
    return _startup_render(request, incubation)


@login_required
@require_GET
def my_startup(request: HttpRequest) -> HttpResponse:
    """A founder's startup: its page if they have one, a list if several."""
    startups = list(selectors.startups_of_user(user=request.user))
    if len(startups) == 1:
        return _startup_render(request, startups[0])
    return render(request, "incubator/startups_mine.html", {"startups": startups})


@login_required
@require_http_methods(["GET", "POST"])
def startup_phase(request: HttpRequest, pk: int) -> HttpResponse:
    incubation = selectors.startup_managed(pk=pk, user=request.user)
    form = PhaseMoveForm(
        request.POST or None, incubation=incubation, initial={"on": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.incubation_phase_move(
                incubation=incubation,
                to_phase=form.cleaned_data["to_phase"],
                by=request.user,
                on=form.cleaned_data["on"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, _("The startup's phase is updated."))
            return redirect("incubator:startup", pk=incubation.pk)
    return _startups_form_page(
        request, incubation, form=form, title=_("Change the phase"), button=_("Save the phase")
    )


@login_required
@require_http_methods(["GET", "POST"])
def startup_hosting(request: HttpRequest, pk: int) -> HttpResponse:
    incubation = selectors.startup_managed(pk=pk, user=request.user)
    form = HostingForm(
        request.POST or None,
        initial={
            "hosting": incubation.hosting,
            "site": incubation.hosting_site_id,
            "monthly_fee": incubation.hosting_monthly_fee,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.incubation_hosting_set(
                incubation=incubation,
                by=request.user,
                hosting=form.cleaned_data["hosting"],
                site=form.cleaned_data["site"],
                monthly_fee=form.cleaned_data["monthly_fee"],
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, _("The hosting is saved."))
            return redirect("incubator:startup", pk=incubation.pk)
    return _startups_form_page(
        request, incubation, form=form, title=_("Hosting"), button=_("Save the hosting")
    )


@login_required
@require_http_methods(["GET", "POST"])
def startup_competences(request: HttpRequest, pk: int) -> HttpResponse:
    incubation = selectors.startup_managed(pk=pk, user=request.user)
    form = NeededCompetencesForm(
        request.POST or None,
        initial={"competences": list(incubation.needed_competences.values_list("pk", flat=True))},
    )
    if request.method == "POST" and form.is_valid():
        services.incubation_competences_set(
            incubation=incubation,
            by=request.user,
            competences=list(form.cleaned_data["competences"]),
        )
        messages.success(request, _("The needed competences are saved."))
        return redirect("incubator:startup", pk=incubation.pk)
    return _startups_form_page(
        request,
        incubation,
        form=form,
        title=_("Needed competences"),
        button=_("Save the competences"),
        intro=_("Mentors are suggested from these competences."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def startup_milestone_new(request: HttpRequest, pk: int) -> HttpResponse:
    incubation = selectors.startup_managed(pk=pk, user=request.user)
    form = MilestoneForm(request.POST or None, initial={"phase": incubation.phase})
    if request.method == "POST" and form.is_valid():
        try:
            services.milestone_create(
                incubation=incubation, by=request.user, data=form.data_object()
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, _("The milestone is added."))
            return redirect("incubator:startup", pk=incubation.pk)
    return _startups_form_page(
        request, incubation, form=form, title=_("New milestone"), button=_("Add the milestone")
    )


@login_required
@require_http_methods(["GET", "POST"])
def startup_milestone_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _manager_only(request)
    milestone = selectors.milestone_visible_to(pk=pk, user=request.user)
    form = MilestoneForm(
        request.POST or None,
        initial={
            "phase": milestone.phase,
            "title": milestone.title,
            "description": milestone.description,
            "due_on": milestone.due_on,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.milestone_update(milestone=milestone, by=request.user, data=form.data_object())
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, _("The milestone is saved."))
            return redirect("incubator:startup", pk=milestone.incubation_id)
    return _startups_form_page(
        request,
        milestone.incubation,
        form=form,
        title=_("Edit the milestone"),
        button=_("Save the milestone"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def startup_milestone_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    """The startup's people (or a manager) give the evidence and mark the milestone done."""
    milestone = selectors.milestone_visible_to(pk=pk, user=request.user)
    posted = request.method == "POST"
    form = MilestoneEvidenceForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        initial={"evidence": milestone.evidence, "done_on": timezone.localdate()},
    )
    if posted and form.is_valid():
        try:
            services.milestone_done(
                milestone=milestone,
                by=request.user,
                evidence=form.cleaned_data["evidence"],
                evidence_file=form.cleaned_data["evidence_file"],
                done_on=form.cleaned_data["done_on"],
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, _("The milestone is marked done."))
            return redirect("incubator:startup", pk=milestone.incubation_id)
    return _startups_form_page(
        request,
        milestone.incubation,
        form=form,
        title=_("Evidence for “%(title)s”") % {"title": milestone.title},
        button=_("Mark done"),
        multipart=True,
        intro=_("Describe the evidence, attach a file, or both."),
    )


@login_required
@require_GET
def startup_milestone_file(request: HttpRequest, pk: int) -> FileResponse:
    milestone = selectors.milestone_visible_to(pk=pk, user=request.user)
    if not milestone.evidence_file:
        raise Http404
    name = milestone.evidence_file.name.rsplit("/", 1)[-1]
    return file_download(milestone.evidence_file, name=name)


@login_required
@require_POST
def startup_checklist_add(request: HttpRequest, pk: int) -> HttpResponse:
    incubation = selectors.startup_managed(pk=pk, user=request.user)
    form = ChecklistItemForm(request.POST)
    if form.is_valid():
        try:
            services.checklist_item_add(
                incubation=incubation,
                by=request.user,
                phase=form.cleaned_data["phase"],
                label=form.cleaned_data["label"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The checklist item is added."))
    else:
        messages.error(request, _("Write the item and choose its phase."))
    return redirect("incubator:startup", pk=incubation.pk)


@login_required
@require_POST
def startup_checklist_check(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.checklist_item_visible_to(pk=pk, user=request.user)
    services.checklist_item_check(item=item, by=request.user, done=request.POST.get("done") == "1")
    return redirect("incubator:startup", pk=item.incubation_id)


@login_required
@require_http_methods(["GET", "POST"])
def startup_session_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Log a mentoring session: a mentor for themselves, a manager for any mentor."""
    incubation = selectors.startup_visible_to(pk=pk, user=request.user)
    manages = selectors.user_manages_incubator(user=request.user)
    own = selectors.user_mentors(user=request.user)
    if not manages and own is None:
        raise Http404
    form = MentorSessionForm(
        request.POST or None,
        choose_mentor=manages,
        initial={"held_on": timezone.localdate(), "mentor": own.pk if own else None},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.mentor_session_log(
                incubation=incubation,
                by=request.user,
                data=form.data_object(),
                mentor=form.cleaned_data.get("mentor") or own,
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, _("The session is logged."))
            return redirect("incubator:startup", pk=incubation.pk)
    return _startups_form_page(
        request,
        incubation,
        form=form,
        title=_("Log a mentoring session"),
        button=_("Log the session"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def mentors_pool(request: HttpRequest) -> HttpResponse:
    """The mentor pool, and the form to add a mentor."""
    _manager_only(request)
    form = MentorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if Mentor.objects.filter(user=form.user).exists():
            form.add_error("email", _("This person is already in the mentor pool."))
        else:
            try:
                services.mentor_save(
                    user=form.user,
                    by=request.user,
                    bio=form.cleaned_data["bio"],
                    competences=list(form.cleaned_data["competences"]),
                    active=form.cleaned_data["active"],
                )
            except ValidationError as error:
                form_errors_from(form, error)
            else:
                messages.success(request, _("The mentor is added to the pool."))
                return redirect("incubator:mentors")
    mentors = list(selectors.mentor_pool())
    return render(request, "incubator/startups_mentors.html", {"form": form, "mentors": mentors})


@login_required
@require_http_methods(["GET", "POST"])
def mentor_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _manager_only(request)
    mentor = Mentor.objects.select_related("user").filter(pk=pk).first()
    if mentor is None:
        raise Http404
    form = MentorForm(
        request.POST or None,
        mentor=mentor,
        initial={
            "email": mentor.user.email,
            "bio": mentor.bio,
            "competences": list(mentor.competences.values_list("pk", flat=True)),
            "active": mentor.active,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.mentor_save(
                user=mentor.user,
                by=request.user,
                bio=form.cleaned_data["bio"],
                competences=list(form.cleaned_data["competences"]),
                active=form.cleaned_data["active"],
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, _("The mentor is saved."))
            return redirect("incubator:mentors")
    return render(request, "incubator/startups_mentor_form.html", {"form": form, "mentor": mentor})


@login_required
@require_POST
def startup_defaults(request: HttpRequest, pk: int) -> HttpResponse:
    """Give a startup that has none the default milestones and checklist."""
    incubation = selectors.startup_managed(pk=pk, user=request.user)
    services.incubation_defaults_create(incubation=incubation)
    messages.success(request, _("The default milestones and checklist are added."))
    return redirect("incubator:startup", pk=incubation.pk)


@login_required
@require_GET
def mentoring(request: HttpRequest) -> HttpResponse:
    """A mentor's way in: the running startups, those needing what they bring first."""
    mentor = selectors.user_mentors(user=request.user)
    if mentor is None or not mentor.active:
        raise Http404
    rows = list(selectors.mentor_startups(mentor=mentor))
    return render(request, "incubator/startups_mentoring.html", {"mentor": mentor, "rows": rows})


# --- calls ---


@require_GET
def calls_list(request: HttpRequest) -> HttpResponse:
    """The published calls that are open now or will open."""
    now = timezone.now()
    calls = selectors.calls_public(now=now)
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
    call = selectors.call_public_get(slug=slug, user=request.user)
    return render(
        request,
        "incubator/calls_detail.html",
        {
            "call": call,
            "is_open": call.is_open_at(timezone.now()),
            "has_opened": call.opens_at <= timezone.now(),
            "mine": selectors.application_of_user_for_call(call=call, user=request.user),
            "manages": selectors.user_manages_incubator(user=request.user),
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
                application = services.application_save(
                    call=call,
                    by=request.user,
                    data=form.application_data(calls_founders_from(founders)),
                    application=application,
                )
                saved = True
                if "submit" in request.POST:
                    services.application_submit(application=application, by=request.user)
            except ValidationError as error:
                form_errors_from(form, error)
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
    call = selectors.call_public_get(slug=slug, user=request.user)
    mine = selectors.application_of_user_for_call(call=call, user=request.user)
    if mine is not None:
        return redirect("incubator:application-edit", pk=mine.pk)
    if not call.is_open_at(timezone.now()):
        messages.error(request, _("This call is not open for applications."))
        return redirect("incubator:call", slug=call.slug)
    return _application_form_page(request, call=call)


@login_required
@require_http_methods(["GET", "POST"])
def application_edit(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_of_team(pk=pk, user=request.user)
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
    application = selectors.application_visible_to(pk=pk, user=request.user)
    in_team = selectors.user_in_application_team(user=request.user, application=application)
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
        services.application_submit_problems(application=application)
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
            and "withdrawn" in services.APPLICATION_TRANSITIONS[application.status],
        },
    )


@login_required
@require_POST
def application_submit(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_of_team(pk=pk, user=request.user)
    try:
        services.application_submit(application=application, by=request.user)
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
    application = selectors.application_of_team(pk=pk, user=request.user)
    try:
        services.application_withdraw(application=application, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Your application is withdrawn."))
    return redirect("incubator:application", pk=application.pk)


@login_required
@require_GET
def application_pitch_deck(request: HttpRequest, pk: int) -> FileResponse:
    application = selectors.application_visible_to(pk=pk, user=request.user)
    if not application.pitch_deck:
        raise Http404
    return file_download(application.pitch_deck, name=_file_name(application.pitch_deck))


@login_required
@require_GET
def application_answer_file(request: HttpRequest, pk: int, answer_pk: int) -> FileResponse:
    answer = selectors.application_answer_file(pk=pk, answer_pk=answer_pk, user=request.user)
    return file_download(answer.file, name=_file_name(answer.file))


@login_required
@require_GET
def applications_mine(request: HttpRequest) -> HttpResponse:
    """ "My applications", with their status."""
    return render(
        request,
        "incubator/calls_mine.html",
        {"applications": list(selectors.applications_of(user=request.user))},
    )


# Managers ------------------------------------------------------------------------------------


@login_required
@require_GET
def calls_manage(request: HttpRequest) -> HttpResponse:
    """Cohorts and their calls, with their application counts."""
    _manager_only(request)
    return render(
        request, "incubator/calls_manage.html", {"cohorts": selectors.cohorts_with_calls()}
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
    _manager_only(request)
    form = CallsCohortForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            cohort = services.cohort_create(by=request.user, data=form.cohort_data())
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, _("The cohort %(name)s is created.") % {"name": cohort.name})
            return redirect("incubator:calls-manage")
    return _calls_form_page(
        request, title=_("New cohort"), form=form, back="incubator:calls-manage"
    )


@login_required
@require_http_methods(["GET", "POST"])
def call_create(request: HttpRequest) -> HttpResponse:
    _manager_only(request)
    form = CallsCallForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            call = services.call_create(by=request.user, data=form.call_data())
        except ValidationError as error:
            form_errors_from(form, error)
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
    call = selectors.call_managed_get(slug=slug, user=request.user)
    return render(
        request,
        "incubator/calls_call_manage.html",
        {
            "call": call,
            "locked": selectors.call_applications_submitted(call=call),
            "counts": selectors.call_application_counts(call=call),
            "question_form": CallsQuestionForm(),
            "criterion_form": CallsCriterionForm(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def call_edit(request: HttpRequest, slug: str) -> HttpResponse:
    call = selectors.call_managed_get(slug=slug, user=request.user)
    posted = request.method == "POST"
    form = CallsCallForm(request.POST if posted else None, initial=CallsCallForm.initial_for(call))
    if posted and form.is_valid():
        try:
            call = services.call_update(call=call, by=request.user, data=form.call_data())
        except ValidationError as error:
            form_errors_from(form, error)
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
    call = selectors.call_managed_get(slug=slug, user=request.user)
    form = CallsQuestionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.question_add(call=call, by=request.user, data=form.question_data())
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, _("The question is added."))
            return redirect("incubator:call-manage", slug=call.slug)
    return _structure_page(request, call=call, form=form, title=_("Add a question"))


@login_required
@require_http_methods(["GET", "POST"])
def question_edit(request: HttpRequest, pk: int) -> HttpResponse:
    question = selectors.question_managed_get(pk=pk, user=request.user)
    posted = request.method == "POST"
    form = CallsQuestionForm(
        request.POST if posted else None, initial=CallsQuestionForm.initial_for(question)
    )
    if posted and form.is_valid():
        try:
            services.question_update(question=question, by=request.user, data=form.question_data())
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, _("The question is saved."))
            return redirect("incubator:call-manage", slug=question.call.slug)
    return _structure_page(request, call=question.call, form=form, title=_("Edit the question"))


@login_required
@require_POST
def question_move(request: HttpRequest, pk: int) -> HttpResponse:
    question = selectors.question_managed_get(pk=pk, user=request.user)
    try:
        services.question_move(
            question=question, by=request.user, up=request.POST.get("direction") == "up"
        )
    except ValidationError as error:
        return _structure_refused(request, question.call, error)
    return redirect("incubator:call-manage", slug=question.call.slug)


@login_required
@require_POST
def question_remove(request: HttpRequest, pk: int) -> HttpResponse:
    question = selectors.question_managed_get(pk=pk, user=request.user)
    call = question.call
    try:
        services.question_remove(question=question, by=request.user)
    except ValidationError as error:
        return _structure_refused(request, call, error)
    messages.success(request, _("The question is removed."))
    return redirect("incubator:call-manage", slug=call.slug)


@login_required
@require_http_methods(["GET", "POST"])
def criterion_add(request: HttpRequest, slug: str) -> HttpResponse:
    call = selectors.call_managed_get(slug=slug, user=request.user)
    form = CallsCriterionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.criterion_add(call=call, by=request.user, data=form.criterion_data())
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, _("The criterion is added."))
            return redirect("incubator:call-manage", slug=call.slug)
    return _structure_page(request, call=call, form=form, title=_("Add a criterion"))


@login_required
@require_http_methods(["GET", "POST"])
def criterion_edit(request: HttpRequest, pk: int) -> HttpResponse:
    criterion = selectors.criterion_managed_get(pk=pk, user=request.user)
    posted = request.method == "POST"
    form = CallsCriterionForm(
        request.POST if posted else None, initial=CallsCriterionForm.initial_for(criterion)
    )
    if posted and form.is_valid():
        try:
            services.criterion_update(
                criterion=criterion, by=request.user, data=form.criterion_data()
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, _("The criterion is saved."))
            return redirect("incubator:call-manage", slug=criterion.call.slug)
    return _structure_page(request, call=criterion.call, form=form, title=_("Edit the criterion"))


@login_required
@require_POST
def criterion_remove(request: HttpRequest, pk: int) -> HttpResponse:
    criterion = selectors.criterion_managed_get(pk=pk, user=request.user)
    call = criterion.call
    try:
        services.criterion_remove(criterion=criterion, by=request.user)
    except ValidationError as error:
        return _structure_refused(request, call, error)
    messages.success(request, _("The criterion is removed."))
    return redirect("incubator:call-manage", slug=call.slug)


@login_required
@require_GET
def call_applications(request: HttpRequest, slug: str) -> HttpResponse:
    """A call's applications for its managers, filtered by status, with the counts."""
    call = selectors.call_managed_get(slug=slug, user=request.user)
    form = CallsStatusFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    page = selectors.call_applications_page(
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
            "counts": selectors.call_application_counts(call=call),
        },
    )


# --- reviews ---


def _application_page_url(pk: int) -> str | None:
    """The calls' page of an application, once that page exists."""
    try:
        return reverse("incubator:application", kwargs={"pk": pk})
    except NoReverseMatch:
        return None


@login_required
@require_GET
def reviews_mine(request: HttpRequest) -> HttpResponse:
    """ "My reviews": the applications one was asked to review, per call."""
    return render(
        request,
        "incubator/reviews_mine.html",
        {"reviews": list(selectors.reviews_of(user=request.user))},
    )


def _review_page(request, review, *, conflict_form=None, score_form=None, status=200):
    call = review.application.call
    criteria = selectors.call_criteria(call=call)
    score_form = score_form or ReviewScoreForm(
        criteria=criteria, score_max=call.score_max, review=review
    )
    scores = {s.criterion_id: s for s in review.scores.all()}
    writable = (
        call.review_closed_at is None
        and review.application.status == "submitted"
        and review.status != Review.Status.CONFLICT
    )
    return render(
        request,
        "incubator/reviews_detail.html",
        {
            "review": review,
            "application": review.application,
            "call": call,
            "criteria": criteria,
            "criteria_scores": [(c, scores.get(c.pk)) for c in criteria],
            "conflict_form": conflict_form or ReviewConflictForm(),
            "score_form": score_form,
            "writable": writable,
            # A refusal whose form is not on the page any more (the reviewer abstained).
            "refusals": []
            if writable
            else [
                *(conflict_form.non_field_errors() if conflict_form else []),
                *(score_form.non_field_errors() if score_form.is_bound else []),
            ],
            "application_url": _application_page_url(review.application_id),
        },
        status=status,
    )


@login_required
@require_GET
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One assignment: the application, then a conflict declaration or the scores."""
    review = selectors.review_of_reviewer(pk=pk, user=request.user)
    return _review_page(request, review)


@login_required
@require_POST
def review_conflict(request: HttpRequest, pk: int) -> HttpResponse:
    review = selectors.review_of_reviewer(pk=pk, user=request.user)
    form = ReviewConflictForm(request.POST)
    if form.is_valid():
        try:
            services.review_conflict_declare(
                review=review, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(
                request, _("You abstain on this application. Thank you for saying so.")
            )
            return redirect("incubator:review", pk=review.pk)
    return _review_page(request, review, conflict_form=form, status=400)


@login_required
@require_POST
def review_scores(request: HttpRequest, pk: int) -> HttpResponse:
    review = selectors.review_of_reviewer(pk=pk, user=request.user)
    call = review.application.call
    form = ReviewScoreForm(
        request.POST,
        criteria=selectors.call_criteria(call=call),
        score_max=call.score_max,
        review=review,
    )
    if form.is_valid():
        try:
            services.review_submit(
                review=review,
                by=request.user,
                scores=form.score_inputs(),
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, _("Your scores are saved."))
            return redirect("incubator:review", pk=review.pk)
    return _review_page(request, review, score_form=form, status=400)


@login_required
@require_GET
def review_calls(request: HttpRequest) -> HttpResponse:
    """The managers' list of calls, each with its jury's board."""
    _manager_only(request)
    calls = list(selectors.calls_for_review(user=request.user))
    rates = selectors.calls_acceptance_rates(call_ids=[c.pk for c in calls])
    return render(
        request,
        "incubator/reviews_calls.html",
        {"rows": [(call, rates[call.pk]) for call in calls]},
    )


def _board_page(request, call, *, assign_form=None, status=200):
    return render(
        request,
        "incubator/reviews_board.html",
        {
            "call": call,
            "rows": selectors.review_board(call=call),
            "rate": selectors.call_acceptance_rate(call=call),
            "assign_form": assign_form or ReviewAssignForm(call=call),
        },
        status=status,
    )


@login_required
@require_GET
def review_board(request: HttpRequest, call_pk: int) -> HttpResponse:
    """A call's review board: assign reviewers, follow their progress, close the round."""
    call = selectors.review_call_for_manager(pk=call_pk, user=request.user)
    return _board_page(request, call)


@login_required
@require_POST
def review_assign(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = selectors.review_call_for_manager(pk=call_pk, user=request.user)
    form = ReviewAssignForm(request.POST, call=call)
    if form.is_valid():
        reviewer = form.cleaned_data["reviewer"]
        application = form.cleaned_data.get("application")
        try:
            if application is not None:
                services.review_assign(application=application, reviewer=reviewer, by=request.user)
                count = 1
            else:
                count = len(
                    services.reviews_assign_all(call=call, reviewer=reviewer, by=request.user)
                )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(
                request,
                _("%(name)s now reviews %(count)s more application(s).")
                % {"name": reviewer.get_full_name() or reviewer.email, "count": count},
            )
            return redirect("incubator:review-board", call_pk=call.pk)
    return _board_page(request, call, assign_form=form, status=400)


def _refused_to_board(request, call, error: ValidationError) -> HttpResponse:
    for message in error.messages:
        messages.error(request, message)
    return redirect("incubator:review-board", call_pk=call.pk)


@login_required
@require_POST
def review_unassign(request: HttpRequest, pk: int) -> HttpResponse:
    _manager_only(request)
    review = Review.objects.select_related("application__call").filter(pk=pk).first()
    if review is None:
        raise Http404
    call = review.application.call
    try:
        services.review_unassign(review=review, by=request.user)
    except ValidationError as error:
        return _refused_to_board(request, call, error)
    messages.success(request, _("The assignment is taken back."))
    return redirect("incubator:review-board", call_pk=call.pk)


@login_required
@require_POST
def review_round(request: HttpRequest, call_pk: int, action: str) -> HttpResponse:
    """Close or reopen the call's review round."""
    call = selectors.review_call_for_manager(pk=call_pk, user=request.user)
    service = services.review_round_close if action == "close" else services.review_round_reopen
    try:
        service(call=call, by=request.user)
    except ValidationError as error:
        return _refused_to_board(request, call, error)
    messages.success(
        request,
        _("The review round is closed: the reviewers now see the ranking.")
        if action == "close"
        else _("The review round is open again."),
    )
    return redirect("incubator:review-board", call_pk=call.pk)


@login_required
@require_GET
def review_ranking(request: HttpRequest, call_pk: int) -> HttpResponse:
    """The weighted ranking: for managers, and for the call's reviewers once the round is
    closed."""
    call = selectors.IncubatorCall.objects.select_related("cohort").filter(pk=call_pk).first()
    if call is None or not selectors.user_sees_call_ranking(user=request.user, call=call):
        raise Http404
    return render(
        request,
        "incubator/reviews_ranking.html",
        {
            "call": call,
            "rows": selectors.call_ranking(call=call),
            "rate": selectors.call_acceptance_rate(call=call),
            "manages": selectors.user_manages_incubator(user=request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def review_decision(request: HttpRequest, pk: int) -> HttpResponse:
    """An application's reviews with every score (managers only) and the decision."""
    application = selectors.application_for_decision(pk=pk, user=request.user)
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.application_decide(
                application=application,
                decision=form.cleaned_data["decision"],
                message=form.cleaned_data["message"],
                by=request.user,
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(
                request, _("The decision is recorded and the founders are told by e-mail.")
            )
            return redirect("incubator:review-board", call_pk=application.call_id)
    call = application.call
    return render(
        request,
        "incubator/reviews_application.html",
        {
            "application": application,
            "call": call,
            "criteria": selectors.call_criteria(call=call),
            "reviews": list(application.reviews.all()),
            "form": form,
            "decidable": application.status in ("submitted", "waitlisted"),
            "application_url": _application_page_url(application.pk),
        },
        status=400 if form.is_bound else 200,
    )


# --- kpis ---


def _kpis_startup_chosen(request: HttpRequest):
    """The startup the page is about: `?startup=` (its people or a manager), else the
    user's only (or first) startup; None when the user has none."""
    chosen = request.GET.get("startup") or request.POST.get("startup")
    if chosen:
        try:
            pk = int(chosen)
        except ValueError as error:
            raise Http404 from error
        return selectors.kpi_incubation_for(pk=pk, user=request.user)
    startups = list(selectors.startups_of_user(user=request.user).order_by("organisation__name"))
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
            _update, created = services.kpi_update_submit(
                incubation=incubation,
                by=request.user,
                year=year,
                quarter=quarter,
                figures=services.KpiFigures(
                    headcount=data["headcount"],
                    revenue=data["revenue"],
                    funds_raised=data["funds_raised"],
                    customers=data["customers"],
                    status=data["status"],
                    note=data["note"],
                ),
            )
        except ValidationError as error:
            form_errors_from(form, error)
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
    year, quarter = selectors.quarter_last_finished()
    return render(
        request,
        "incubator/kpis_update.html",
        {
            "incubation": incubation,
            "form": form,
            "history": history,
            "startups": list(
                selectors.startups_of_user(user=request.user).order_by("organisation__name")
            ),
            "last_quarter": (year, quarter),
            "last_reported": any(u.year == year and u.quarter == quarter for u in history),
            "is_manager": selectors.user_manages_incubator(user=request.user),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_GET
def kpis_overview(request: HttpRequest) -> HttpResponse:
    """The incubator at a glance: startups by phase, survival, cohorts, calls."""
    _manager_only(request)
    return render(
        request,
        "incubator/kpis_overview.html",
        {"overview": selectors.incubator_overview()},
    )


@login_required
@require_GET
def kpis_cohort(request: HttpRequest, slug: str) -> HttpResponse:
    """A cohort's dashboard: startups and their last figures, quarterly totals, calls."""
    _manager_only(request)
    cohort = get_object_or_404(Cohort, slug=slug)
    return render(
        request,
        "incubator/kpis_cohort.html",
        {"dashboard": selectors.cohort_dashboard(cohort=cohort)},
    )


@login_required
@require_GET
def kpis_export(request: HttpRequest, fmt: str, slug: str | None = None) -> HttpResponse:
    """The KPI table (a cohort's or every one's) as CSV or Excel."""
    _manager_only(request)
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
    rows = selectors.kpi_export_rows(cohort=cohort)
    filename = f"kpis-{cohort.slug if cohort else 'all'}.{fmt}"
    keys = selectors.KPI_EXPORT_KEYS
    if fmt == "xlsx":
        return xlsx_response(filename=filename, headers=headers, rows=rows, keys=keys)
    return csv_response(filename=filename, headers=headers, rows=rows, keys=keys)
