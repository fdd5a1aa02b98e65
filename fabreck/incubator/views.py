"""Pages of the incubator: thin views over the services and selectors."""

from __future__ import annotations

# --- startups ---
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)

from fabreck.accounts.models import User
from fabreck.core.http import file_download
from fabreck.incubator import selectors as startups_selectors
from fabreck.incubator import services as startups_services
from fabreck.incubator.forms import (
    ChecklistItemForm,
    HostingForm,
    MentorForm,
    MentorSessionForm,
    MilestoneEvidenceForm,
    MilestoneForm,
    NeededCompetencesForm,
    PhaseMoveForm,
    StartupsFilterForm,
)
from fabreck.incubator.models import Mentor


def _startups_errors_to_form(form, error: ValidationError) -> None:
    """A service's refusal shown on the form: field errors at their field."""
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _startups_manager_only(user: User) -> None:
    if not startups_selectors.user_manages_incubator(user=user):
        raise Http404


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
    )


@login_required
@require_GET
def startups_list(request: HttpRequest) -> HttpResponse:
    """The managers' list of startups, by cohort, with their phase and open milestones."""
    _startups_manager_only(request.user)
    form = StartupsFilterForm(request.GET or None)
    rows = list(startups_selectors.startups_list(**form.filters()))
    return render(request, "incubator/startups_list.html", {"form": form, "rows": rows})


def _startup_render(request: HttpRequest, incubation) -> HttpResponse:
    user = request.user
    manages = startups_selectors.user_manages_incubator(user=user)
    speaks = startups_selectors.user_speaks_for_startup(user=user, incubation=incubation)
    mentor = startups_selectors.user_mentors(user=user)
    page = startups_selectors.startup_page(incubation=incubation)
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
    incubation = startups_selectors.startup_visible_to(pk=pk, user=request.user)
    return _startup_render(request, incubation)


@login_required
@require_GET
def my_startup(request: HttpRequest) -> HttpResponse:
    """A founder's startup: its page if they have one, a list if several."""
    startups = list(startups_selectors.startups_of_user(user=request.user))
    if len(startups) == 1:
        return _startup_render(request, startups[0])
    return render(request, "incubator/startups_mine.html", {"startups": startups})


@login_required
@require_http_methods(["GET", "POST"])
def startup_phase(request: HttpRequest, pk: int) -> HttpResponse:
    incubation = startups_selectors.startup_managed(pk=pk, user=request.user)
    form = PhaseMoveForm(
        request.POST or None, incubation=incubation, initial={"on": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            startups_services.incubation_phase_move(
                incubation=incubation,
                to_phase=form.cleaned_data["to_phase"],
                by=request.user,
                on=form.cleaned_data["on"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            _startups_errors_to_form(form, error)
        else:
            messages.success(request, _("The startup's phase is updated."))
            return redirect("incubator:startup", pk=incubation.pk)
    return _startups_form_page(
        request, incubation, form=form, title=_("Change the phase"), button=_("Save the phase")
    )


@login_required
@require_http_methods(["GET", "POST"])
def startup_hosting(request: HttpRequest, pk: int) -> HttpResponse:
    incubation = startups_selectors.startup_managed(pk=pk, user=request.user)
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
            startups_services.incubation_hosting_set(
                incubation=incubation,
                by=request.user,
                hosting=form.cleaned_data["hosting"],
                site=form.cleaned_data["site"],
                monthly_fee=form.cleaned_data["monthly_fee"],
            )
        except ValidationError as error:
            _startups_errors_to_form(form, error)
        else:
            messages.success(request, _("The hosting is saved."))
            return redirect("incubator:startup", pk=incubation.pk)
    return _startups_form_page(
        request, incubation, form=form, title=_("Hosting"), button=_("Save the hosting")
    )


@login_required
@require_http_methods(["GET", "POST"])
def startup_competences(request: HttpRequest, pk: int) -> HttpResponse:
    incubation = startups_selectors.startup_managed(pk=pk, user=request.user)
    form = NeededCompetencesForm(
        request.POST or None,
        initial={"competences": list(incubation.needed_competences.values_list("pk", flat=True))},
    )
    if request.method == "POST" and form.is_valid():
        startups_services.incubation_competences_set(
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
    incubation = startups_selectors.startup_managed(pk=pk, user=request.user)
    form = MilestoneForm(request.POST or None, initial={"phase": incubation.phase})
    if request.method == "POST" and form.is_valid():
        try:
            startups_services.milestone_create(
                incubation=incubation, by=request.user, data=form.data_object()
            )
        except ValidationError as error:
            _startups_errors_to_form(form, error)
        else:
            messages.success(request, _("The milestone is added."))
            return redirect("incubator:startup", pk=incubation.pk)
    return _startups_form_page(
        request, incubation, form=form, title=_("New milestone"), button=_("Add the milestone")
    )


@login_required
@require_http_methods(["GET", "POST"])
def startup_milestone_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _startups_manager_only(request.user)
    milestone = startups_selectors.milestone_visible_to(pk=pk, user=request.user)
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
            startups_services.milestone_update(
                milestone=milestone, by=request.user, data=form.data_object()
            )
        except ValidationError as error:
            _startups_errors_to_form(form, error)
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
    milestone = startups_selectors.milestone_visible_to(pk=pk, user=request.user)
    posted = request.method == "POST"
    form = MilestoneEvidenceForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        initial={"evidence": milestone.evidence, "done_on": timezone.localdate()},
    )
    if posted and form.is_valid():
        try:
            startups_services.milestone_done(
                milestone=milestone,
                by=request.user,
                evidence=form.cleaned_data["evidence"],
                evidence_file=form.cleaned_data["evidence_file"],
                done_on=form.cleaned_data["done_on"],
            )
        except ValidationError as error:
            _startups_errors_to_form(form, error)
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
    milestone = startups_selectors.milestone_visible_to(pk=pk, user=request.user)
    if not milestone.evidence_file:
        raise Http404
    name = milestone.evidence_file.name.rsplit("/", 1)[-1]
    return file_download(milestone.evidence_file, name=name)


@login_required
@require_POST
def startup_checklist_add(request: HttpRequest, pk: int) -> HttpResponse:
    incubation = startups_selectors.startup_managed(pk=pk, user=request.user)
    form = ChecklistItemForm(request.POST)
    if form.is_valid():
        try:
            startups_services.checklist_item_add(
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
    item = startups_selectors.checklist_item_visible_to(pk=pk, user=request.user)
    startups_services.checklist_item_check(
        item=item, by=request.user, done=request.POST.get("done") == "1"
    )
    return redirect("incubator:startup", pk=item.incubation_id)


@login_required
@require_http_methods(["GET", "POST"])
def startup_session_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Log a mentoring session: a mentor for themselves, a manager for any mentor."""
    incubation = startups_selectors.startup_visible_to(pk=pk, user=request.user)
    manages = startups_selectors.user_manages_incubator(user=request.user)
    own = startups_selectors.user_mentors(user=request.user)
    if not manages and own is None:
        raise Http404
    form = MentorSessionForm(
        request.POST or None,
        choose_mentor=manages,
        initial={"held_on": timezone.localdate(), "mentor": own.pk if own else None},
    )
    if request.method == "POST" and form.is_valid():
        try:
            startups_services.mentor_session_log(
                incubation=incubation,
                by=request.user,
                data=form.data_object(),
                mentor=form.cleaned_data.get("mentor") or own,
            )
        except ValidationError as error:
            _startups_errors_to_form(form, error)
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
    _startups_manager_only(request.user)
    form = MentorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if Mentor.objects.filter(user=form.user).exists():
            form.add_error("email", _("This person is already in the mentor pool."))
        else:
            try:
                startups_services.mentor_save(
                    user=form.user,
                    by=request.user,
                    bio=form.cleaned_data["bio"],
                    competences=list(form.cleaned_data["competences"]),
                    active=form.cleaned_data["active"],
                )
            except ValidationError as error:
                _startups_errors_to_form(form, error)
            else:
                messages.success(request, _("The mentor is added to the pool."))
                return redirect("incubator:mentors")
    mentors = list(startups_selectors.mentor_pool())
    return render(request, "incubator/startups_mentors.html", {"form": form, "mentors": mentors})


@login_required
@require_http_methods(["GET", "POST"])
def mentor_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _startups_manager_only(request.user)
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
            startups_services.mentor_save(
                user=mentor.user,
                by=request.user,
                bio=form.cleaned_data["bio"],
                competences=list(form.cleaned_data["competences"]),
                active=form.cleaned_data["active"],
            )
        except ValidationError as error:
            _startups_errors_to_form(form, error)
        else:
            messages.success(request, _("The mentor is saved."))
            return redirect("incubator:mentors")
    return render(request, "incubator/startups_mentor_form.html", {"form": form, "mentor": mentor})


@login_required
@require_POST
def startup_defaults(request: HttpRequest, pk: int) -> HttpResponse:
    """Give a startup that has none the default milestones and checklist."""
    incubation = startups_selectors.startup_managed(pk=pk, user=request.user)
    startups_services.incubation_defaults_create(incubation=incubation)
    messages.success(request, _("The default milestones and checklist are added."))
    return redirect("incubator:startup", pk=incubation.pk)


@login_required
@require_GET
def mentoring(request: HttpRequest) -> HttpResponse:
    """A mentor's way in: the running startups, those needing what they bring first."""
    mentor = startups_selectors.user_mentors(user=request.user)
    if mentor is None or not mentor.active:
        raise Http404
    rows = list(startups_selectors.mentor_startups(mentor=mentor))
    return render(request, "incubator/startups_mentoring.html", {"mentor": mentor, "rows": rows})
