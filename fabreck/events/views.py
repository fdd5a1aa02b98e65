"""Pages of workshops and events. Thin: parse, call one service or selector, render.
Sections are appended per capability."""

from __future__ import annotations

# --- children's profiles, their data, attendance, statistics (evkids) ---------------------
import json
from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)

from fabreck.core.exports import csv_response, xlsx_response
from fabreck.events import selectors as _kids_selectors
from fabreck.events import services as _kids_services
from fabreck.events.forms import ChildForm, StatisticsFilterForm


def _kids_form_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _guardian_required(request: HttpRequest) -> None:
    if not request.user.has_perm("accounts.register_children"):
        raise PermissionDenied(_("Only guardians keep children's profiles."))


@login_required
@require_GET
def children(request: HttpRequest) -> HttpResponse:
    _guardian_required(request)
    return render(
        request,
        "events/children.html",
        {
            "children": [
                (child, child.age_on(timezone.localdate()))
                for child in _kids_selectors.children_of(guardian=request.user)
            ],
            "retention_months": settings.EVENTS_CHILD_RETENTION_MONTHS,
        },
    )


def _child_form_page(request: HttpRequest, child=None) -> HttpResponse:
    if request.method == "POST":
        form = ChildForm(request.POST)
        if form.is_valid():
            try:
                if child is None:
                    child = _kids_services.child_create(guardian=request.user, **form.cleaned_data)
                    messages.success(
                        request, _("%(name)s's profile was added.") % {"name": child.first_name}
                    )
                else:
                    child = _kids_services.child_update(
                        guardian=request.user, child=child, **form.cleaned_data
                    )
                    messages.success(
                        request, _("%(name)s's profile was saved.") % {"name": child.first_name}
                    )
                return redirect("events:children")
            except ValidationError as error:
                _kids_form_errors(form, error)
        status = 400
    else:
        initial = {}
        if child is not None:
            initial = {
                "first_name": child.first_name,
                "birth_date": child.birth_date,
                "commune": child.commune_id,
                "photo_consent": child.photo_consent,
                "pickup_persons": child.pickup_persons,
                "notes": child.notes,
            }
        form = ChildForm(initial=initial)
        status = 200
    return render(request, "events/child_form.html", {"form": form, "child": child}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def child_add(request: HttpRequest) -> HttpResponse:
    _guardian_required(request)
    return _child_form_page(request)


@require_http_methods(["GET", "POST"])
def child_edit(request: HttpRequest, pk: int) -> HttpResponse:
    child = _kids_selectors.child_of(guardian=request.user, pk=pk)  # 404 unless theirs
    return _child_form_page(request, child)


def _export_name(child, extension: str) -> str:
    return f"child-{child.pk}-{slugify(child.first_name) or 'data'}.{extension}"


@require_GET
def child_export_json(request: HttpRequest, pk: int) -> HttpResponse:
    child = _kids_selectors.child_of(guardian=request.user, pk=pk)
    data = _kids_selectors.child_export(child=child)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="{_export_name(child, "json")}"'
    return response


CHILD_CSV_KEYS = [
    "first_name", "birth_date", "commune", "photo_consent", "pickup_persons", "notes",
    "event", "event_kind", "place", "session_starts_at", "session_ends_at", "session_status",
    "status", "age_on_the_day", "price", "registered_at", "cancelled_at", "attendance",
    "checked_in_at",
]  # fmt: skip


@require_GET
def child_export_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """One line per registration, the profile repeated on each (one line when none)."""
    child = _kids_selectors.child_of(guardian=request.user, pk=pk)
    data = _kids_selectors.child_export(child=child)
    profile = {key: value for key, value in data["child"].items() if key in CHILD_CSV_KEYS}
    empty = {key: "" for key in CHILD_CSV_KEYS if key not in profile}
    rows = [{**empty, **profile, **r} for r in data["registrations"]] or [{**empty, **profile}]
    headers = [
        _("First name"), _("Birth date"), _("Commune"), _("Photo consent"),
        _("Who may pick the child up"), _("Notes for the staff"), _("Event"), _("Kind"),
        _("Place"), _("Session starts"), _("Session ends"), _("Session status"),
        _("Registration status"), _("Age on the day"), _("Price (EUR)"), _("Registered at"),
        _("Cancelled at"), _("Attendance"), _("Checked in at"),
    ]  # fmt: skip
    return csv_response(
        filename=_export_name(child, "csv"), headers=headers, rows=rows, keys=CHILD_CSV_KEYS
    )


@require_http_methods(["GET", "POST"])
def child_delete(request: HttpRequest, pk: int) -> HttpResponse:
    child = _kids_selectors.child_of(guardian=request.user, pk=pk)
    error = ""
    if request.method == "POST":
        name = child.first_name
        try:
            _kids_services.child_delete(guardian=request.user, child=child)
        except ValidationError as refusal:
            error = " ".join(refusal.messages)
        else:
            messages.success(
                request,
                _("%(name)s's data was deleted. Only anonymous figures remain in statistics.")
                % {"name": name},
            )
            return redirect("events:children")
    upcoming = [
        r
        for r in _kids_selectors.child_registrations(child=child)
        if r.status in ("confirmed", "waitlisted", "offered")
        and r.session.ends_at > timezone.now()
        and r.session.status == "scheduled"
    ]
    return render(
        request,
        "events/child_delete.html",
        {"child": child, "error": error, "upcoming": upcoming},
        status=400 if error else 200,
    )


# Attendance ---------------------------------------------------------------------------------


def _day_param(request: HttpRequest) -> date:
    try:
        return date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return timezone.localdate()


@login_required
@require_GET
def check_in_home(request: HttpRequest) -> HttpResponse:
    """The sessions of a day the user runs, each with a link to its check-in list."""
    if not (
        request.user.has_perm("accounts.run_site")
        or request.user.has_perm("accounts.manage_cluster")
    ):
        raise PermissionDenied
    day = _day_param(request)
    return render(
        request,
        "events/check_in_home.html",
        {
            "day": day,
            "is_today": day == timezone.localdate(),
            "previous_day": day - timedelta(days=1),
            "next_day": day + timedelta(days=1),
            "sessions": _kids_selectors.sessions_to_check_in(user=request.user, day=day),
        },
    )


def _attendance_context(session) -> dict:
    now = timezone.now()
    return {
        "session": session,
        "event": session.event,
        "count": _kids_selectors.attendance_count(session=session),
        "started": session.starts_at <= now,
        "check_in_open": session.starts_at - _kids_services.CHECK_IN_OPENS_BEFORE <= now,
        "is_training": session.event.kind == "training",
        "today": timezone.localdate(),
    }


@require_GET
def session_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    session = _kids_selectors.session_managed_by(user=request.user, pk=pk)  # 404 otherwise
    context = _attendance_context(session)
    context["rows"] = _kids_selectors.session_attendance_rows(session=session)
    return render(request, "events/attendance.html", context)


def _attendance_reply(request: HttpRequest, session, registration, error=None) -> HttpResponse:
    """The registration's row (and the updated count) for htmx; else back to the list."""
    if request.htmx:
        registration = _kids_selectors.registration_of_session(session=session, pk=registration.pk)
        context = _attendance_context(session)
        context.update(
            registration=registration,
            error=" ".join(error.messages) if error else "",
            oob=True,
        )
        return render(request, "events/_attendance_row.html", context)
    if error is not None:
        messages.error(request, " ".join(error.messages))
    return redirect(
        reverse("events:session-attendance", args=[session.pk]) + f"#registration-{registration.pk}"
    )


@require_POST
def attendance_mark(request: HttpRequest, pk: int, registration: int) -> HttpResponse:
    session = _kids_selectors.session_managed_by(user=request.user, pk=pk)
    row = _kids_selectors.registration_of_session(session=session, pk=registration)
    attendance = request.POST.get("attendance", "")
    try:
        _kids_services.attendance_record(registration=row, by=request.user, attendance=attendance)
    except ValidationError as error:
        return _attendance_reply(request, session, row, error)
    return _attendance_reply(request, session, row)


@require_POST
def training_result(request: HttpRequest, pk: int, registration: int) -> HttpResponse:
    session = _kids_selectors.session_managed_by(user=request.user, pk=pk)
    row = _kids_selectors.registration_of_session(session=session, pk=registration)
    passed = request.POST.get("passed", "")
    if passed not in ("1", "0"):
        return _attendance_reply(
            request, session, row, ValidationError(_("Choose passed or not passed."))
        )
    try:
        _kids_services.training_result_record(
            registration=row,
            by=request.user,
            passed=passed == "1",
            evidence=request.POST.get("evidence", "")[:500],
        )
    except ValidationError as error:
        return _attendance_reply(request, session, row, error)
    return _attendance_reply(request, session, row)


@require_POST
def session_no_shows(request: HttpRequest, pk: int) -> HttpResponse:
    session = _kids_selectors.session_managed_by(user=request.user, pk=pk)
    try:
        marked = _kids_services.session_no_shows_mark(session=session, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("%(count)s attendee(s) marked as no-shows.") % {"count": marked}
        )
    return redirect("events:session-attendance", session.pk)


# Statistics ---------------------------------------------------------------------------------


def _statistics_allowed(request: HttpRequest) -> None:
    user = request.user
    if not (
        user.has_perm("accounts.run_site")
        or user.has_perm("accounts.manage_cluster")
        or user.has_perm("events.change_event")
    ):
        raise PermissionDenied(_("Only staff and cluster managers read the statistics."))


def _statistics_of(request: HttpRequest):
    years = _kids_selectors.statistics_years()
    this_year = timezone.localdate().year
    form = StatisticsFilterForm(request.GET or None, years=years or [this_year])
    year, site = (years[0] if years else this_year), None
    if form.is_bound and form.is_valid():  # an unknown year or site: the defaults
        year = form.cleaned_data["year"] or year
        site = form.cleaned_data["site"]
    return form, _kids_selectors.statistics_for(year=year, site=site)


@login_required
@require_GET
def statistics(request: HttpRequest) -> HttpResponse:
    _statistics_allowed(request)
    form, stats = _statistics_of(request)
    return render(
        request,
        "events/statistics.html",
        {"form": form, "stats": stats, "query": request.GET.urlencode()},
    )


@login_required
@require_GET
def statistics_export(request: HttpRequest, fmt: str) -> HttpResponse:
    _statistics_allowed(request)
    stats = _statistics_of(request)[1]
    rows = _kids_selectors.statistics_rows(stats)
    headers = [_("Year"), _("Measure"), _("Group"), _("Value")]
    keys = ["year", "measure", "group", "value"]
    filename = f"workshop-statistics-{stats.year}.{fmt}"
    if fmt == "xlsx":
        return xlsx_response(filename=filename, headers=headers, rows=rows, keys=keys)
    return csv_response(filename=filename, headers=headers, rows=rows, keys=keys)
