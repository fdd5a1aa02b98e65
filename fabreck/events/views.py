"""Pages of workshops and events. Thin: parse, call one service or selector, render.
Sections are appended per capability."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
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
from fabreck.core.forms import form_errors_from
from fabreck.core.http import safe_next_url
from fabreck.core.ics import ics_calendar
from fabreck.events import selectors, services
from fabreck.events import selectors as _kids_selectors
from fabreck.events import services as _kids_services
from fabreck.events.forms import (
    DATE_SLOTS,
    AdultRegistrationForm,
    ChildForm,
    ChildrenRegistrationForm,
    DatesSessionsForm,
    EventForm,
    ReasonForm,
    SchoolClassForm,
    SessionEditForm,
    SessionMoveForm,
    StatisticsFilterForm,
    TicketCategoryForm,
    WeeklySessionsForm,
    catalogue_filters_from,
)
from fabreck.events.mail import event_place, session_ics_event
from fabreck.events.models import CHILDREN_KINDS, CLUSTER_KINDS, Audience, EventKind, TicketCategory
from fabreck.events.services import registration_offer_claim

# --- children's profiles, their data, attendance, statistics (evkids) ---------------------


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
                # Back to the registration that sent them here, if any (evweb).
                return redirect(
                    safe_next_url(request, request.GET.get("next"), reverse("events:children"))
                )
            except ValidationError as error:
                form_errors_from(form, error)
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


"""Pages of workshops and events. Thin: parse, call one service or selector, render.
Sections are appended per capability."""


# --- the catalogue: listing, calendar, feed, detail; the staff's pages (evcat) -------------


def _form_errors_from(form, error: ValidationError, aliases: dict[str, str] | None = None):
    """A service's refusal shown on the form: on the field it names, else on top."""
    aliases = aliases or {}
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            name = aliases.get(name, name)
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _say(request: HttpRequest, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


@require_GET
def event_list(request: HttpRequest) -> HttpResponse:
    filters = catalogue_filters_from(request.GET)
    page = selectors.catalogue_page(filters=filters)
    context = {
        "page": page,
        "filters": filters,
        "kinds": EventKind.choices,
        "sites": selectors.catalogue_sites(),
        "query": _query_without_page(request),
    }
    template = "events/_list_results.html" if request.htmx else "events/list.html"
    return render(request, template, context)


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@require_GET
def event_calendar(request: HttpRequest) -> HttpResponse:
    filters = catalogue_filters_from(request.GET)
    query = _query_without_page(request)
    return render(
        request,
        "events/calendar.html",
        {
            "filters": filters,
            "kinds": EventKind.choices,
            "sites": selectors.catalogue_sites(),
            "sessions_url": reverse("events:calendar-sessions") + (f"?{query}" if query else ""),
        },
    )


def _moment(value: str) -> datetime:
    """An ISO 8601 date or date-time from FullCalendar; without an offset it is local
    (Europe/Luxembourg) time. A '+' sent unencoded arrives as a space."""
    moment = datetime.fromisoformat(value.strip().replace(" ", "+"))
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


_KIND_COLOURS = {
    EventKind.CHILDREN_WORKSHOP: "#198754",
    EventKind.TEEN_WORKSHOP: "#20c997",
    EventKind.PUBLIC_WORKSHOP: "#0d6efd",
    EventKind.TRAINING: "#6f42c1",
    EventKind.TALK: "#fd7e14",
    EventKind.NETWORKING: "#d63384",
    EventKind.B2B_DAY: "#dc3545",
    EventKind.OPEN_DAY: "#0dcaf0",
}


@require_GET
def calendar_sessions(request: HttpRequest) -> JsonResponse:
    """The calendar's public sessions between FullCalendar's `start` and `end`."""
    try:
        starts_at, ends_at = _moment(request.GET["start"]), _moment(request.GET["end"])
        if not (2000 <= starts_at.year and ends_at.year <= 2100):
            raise ValueError
    except (KeyError, ValueError, OverflowError):
        return JsonResponse(
            {"error": _("Give the start and the end as dates, such as 2025-03-03.")}, status=400
        )
    try:
        sessions = selectors.calendar_sessions(
            starts_at=starts_at, ends_at=ends_at, filters=catalogue_filters_from(request.GET)
        )
    except ValidationError as error:
        return JsonResponse({"error": " ".join(error.messages)}, status=400)
    return JsonResponse(
        [
            {
                "id": session.pk,
                "title": session.event.title,
                "start": timezone.localtime(session.starts_at).isoformat(),
                "end": timezone.localtime(session.ends_at).isoformat(),
                "url": reverse("events:detail", args=[session.event.slug]),
                "color": _KIND_COLOURS.get(session.event.kind, "#6c757d"),
                "extendedProps": {
                    "kind": session.event.kind,
                    "place": session.event.site.name if session.event.site else "",
                    "seats_left": session.seats_left,
                    "full": session.is_full,
                },
            }
            for session in sessions
        ],
        safe=False,
    )


@require_GET
def feed_ics(request: HttpRequest) -> HttpResponse:
    """The public events as a calendar to subscribe to: one entry per scheduled session."""
    calendar = ics_calendar(
        [session_ics_event(session) for session in selectors.feed_sessions()],
        name=_("Fabreck workshops and events"),
    )
    response = HttpResponse(calendar, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "public, max-age=900"
    response["Content-Disposition"] = 'inline; filename="fabreck-events.ics"'
    return response


@require_GET
def event_detail(request: HttpRequest, slug: str) -> HttpResponse:
    event = selectors.event_public(slug=slug, viewer=request.user)
    return render(
        request,
        "events/detail.html",
        {
            "event": event,
            "place": event_place(event),
            "tickets": list(event.ticket_categories.all()),
            "sessions": selectors.event_sessions_public(event=event),
            "manages": selectors.user_manages_event(user=request.user, event=event),
        },
    )


# Staff: events -----------------------------------------------------------------------------


def _ensure_staff(request: HttpRequest) -> None:
    if not selectors.user_may_run_events(request.user):
        raise PermissionDenied(_("Only FabLab staff and cluster managers manage events."))


def _event_form(request: HttpRequest, data=None, files=None, **kwargs) -> EventForm:
    from fabreck.fablab.models import Course, Site

    sites = selectors.sites_for_event_form(user=request.user)
    return EventForm(
        data,
        files,
        sites=Site.objects.filter(pk__in=[site.pk for site in sites]).order_by("name"),
        courses=Course.objects.order_by("slug"),
        **kwargs,
    )


@login_required
@require_GET
def manage_list(request: HttpRequest) -> HttpResponse:
    _ensure_staff(request)
    return render(
        request,
        "events/manage/list.html",
        {"events": selectors.events_managed_by(user=request.user)[:300]},
    )


@login_required
@require_http_methods(["GET", "POST"])
def manage_create(request: HttpRequest) -> HttpResponse:
    _ensure_staff(request)
    sites = selectors.sites_for_event_form(user=request.user)
    initial = {"site": sites[0].slug if len(sites) == 1 else None, "audience": Audience.EVERYONE}
    if request.method == "POST":
        form = _event_form(request, request.POST, request.FILES)
    else:
        form = _event_form(request, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            event = services.event_create(
                by=request.user,
                picture=form.cleaned_data.get("picture"),
                **form.service_fields(),
            )
        except PermissionDenied as error:  # a site they do not run, a kind not theirs
            form.add_error(None, str(error))
        except ValidationError as error:
            _form_errors_from(form, error)
        else:
            messages.success(
                request,
                _("The event “%(title)s” is saved as a draft: add its tickets and sessions, "
                  "then publish it.") % {"title": event.title},
            )  # fmt: skip
            return redirect("events:manage-event", event.slug)
    return render(request, "events/manage/event_form.html", {"form": form, "event": None})


def _event_initial(event) -> dict:
    names = [name for name in EventForm.base_fields if name not in {"picture", "picture_clear"}]
    initial = {name: getattr(event, name) for name in names if name not in {"site", "course"}}
    initial["site"] = event.site.slug if event.site else None
    initial["course"] = event.course.slug if event.course else None
    return initial


def _manage_page(request, event, form, *, ticket_form=None, status=200) -> HttpResponse:
    return render(
        request,
        "events/manage/event.html",
        {
            "event": event,
            "form": form,
            "ticket_form": ticket_form or TicketCategoryForm(),
            "tickets": list(event.ticket_categories.all()),
            "sessions": selectors.event_sessions_for_staff(event=event),
            "now": timezone.now(),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def manage_event(request: HttpRequest, slug: str) -> HttpResponse:
    """An event's page for its staff: details, tickets, sessions, publishing."""
    event = selectors.event_managed(user=request.user, slug=slug)
    if request.method == "POST":
        form = _event_form(request, request.POST, request.FILES, editing=True)
        if form.is_valid():
            try:
                event = services.event_update(
                    event=event,
                    by=request.user,
                    picture=form.cleaned_data.get("picture"),
                    picture_clear=form.cleaned_data.get("picture_clear", False),
                    **form.service_fields(),
                )
            except PermissionDenied as error:  # moved to a site they do not run
                form.add_error(None, str(error))
            except ValidationError as error:
                _form_errors_from(form, error)
            else:
                messages.success(request, _("The event is saved."))
                return redirect("events:manage-event", event.slug)
    else:
        form = _event_form(request, initial=_event_initial(event), editing=True)
    return _manage_page(request, event, form)


@login_required
@require_POST
def manage_publish(request: HttpRequest, slug: str) -> HttpResponse:
    event = selectors.event_managed(user=request.user, slug=slug)
    try:
        services.event_publish(event=event, by=request.user)
    except ValidationError as error:
        _say(request, error)
    else:
        messages.success(request, _("The event is published: everyone can see it now."))
    return redirect("events:manage-event", event.slug)


@login_required
@require_http_methods(["GET", "POST"])
def manage_event_cancel(request: HttpRequest, slug: str) -> HttpResponse:
    """Calling off a whole event, after a confirmation that says who will be told."""
    event = selectors.event_managed(user=request.user, slug=slug)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.event_cancel(event=event, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            _form_errors_from(form, error)
        else:
            messages.success(request, _("The event is cancelled; every registrant has been told."))
            return redirect("events:manage-event", event.slug)
    upcoming = [
        s for s in selectors.event_sessions_for_staff(event=event)
        if s.status == "scheduled" and s.ends_at > timezone.now()
    ]  # fmt: skip
    return render(
        request,
        "events/manage/event_cancel.html",
        {
            "event": event,
            "form": form,
            "sessions": upcoming,
            "reached": sum(s.live for s in upcoming),
        },
    )


# Staff: ticket categories (htmx swaps the table; without it, back to the event's page) -----


def _tickets_reply(request, event, *, form=None, error: ValidationError | None = None):
    if request.htmx:
        return render(
            request,
            "events/manage/_tickets.html",
            {
                "event": event,
                "tickets": list(event.ticket_categories.all()),
                "ticket_form": form or TicketCategoryForm(),
                "error": " ".join(error.messages) if error else "",
            },
        )
    if error is not None:
        _say(request, error)
    return redirect(reverse("events:manage-event", args=[event.slug]) + "#tickets")


@login_required
@require_POST
def manage_ticket_add(request: HttpRequest, slug: str) -> HttpResponse:
    event = selectors.event_managed(user=request.user, slug=slug)
    form = TicketCategoryForm(request.POST)
    if not form.is_valid():
        if request.htmx:
            return _tickets_reply(request, event, form=form)
        return _manage_page(
            request, event, _event_form(request, initial=_event_initial(event), editing=True),
            ticket_form=form, status=400,
        )  # fmt: skip
    try:
        services.ticket_category_create(event=event, by=request.user, **form.cleaned_data)
    except ValidationError as error:
        _form_errors_from(form, error)
        return _tickets_reply(request, event, form=form, error=None if request.htmx else error)
    return _tickets_reply(request, event)


@login_required
@require_POST
def manage_ticket_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event = selectors.event_managed(user=request.user, slug=slug)
    category = get_object_or_404(TicketCategory, pk=pk, event=event)
    form = TicketCategoryForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(
                [message for errors in form.errors.values() for message in errors]
            )
        services.ticket_category_update(category=category, by=request.user, **form.cleaned_data)
    except ValidationError as error:
        return _tickets_reply(request, event, error=error)
    return _tickets_reply(request, event)


@login_required
@require_POST
def manage_ticket_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event = selectors.event_managed(user=request.user, slug=slug)
    category = get_object_or_404(TicketCategory, pk=pk, event=event)
    try:
        services.ticket_category_delete(category=category, by=request.user)
    except ValidationError as error:
        return _tickets_reply(request, event, error=error)
    return _tickets_reply(request, event)


# Staff: sessions ----------------------------------------------------------------------------

_WEEKLY_ALIASES = {"starts_at": "first_date", "ends_at": "end", "closes_at": "closes_hours_before"}
_DATES_ALIASES = {"starts_at": "dates", "ends_at": "end", "closes_at": "closes_hours_before"}


@login_required
@require_http_methods(["GET", "POST"])
def manage_sessions_add(request: HttpRequest, slug: str) -> HttpResponse:
    """Add sessions: every week for N weeks, or on hand-picked dates."""
    event = selectors.event_managed(user=request.user, slug=slug)
    mode = (request.POST or request.GET).get("mode")
    mode = mode if mode in ("weekly", "dates") else "weekly"
    posted = request.method == "POST"
    weekly = WeeklySessionsForm(request.POST if posted and mode == "weekly" else None, prefix="w")
    dates = DatesSessionsForm(request.POST if posted and mode == "dates" else None, prefix="d")
    form = weekly if mode == "weekly" else dates
    if posted and form.is_valid():
        try:
            if mode == "weekly":
                created = services.sessions_create_weekly(
                    event=event,
                    by=request.user,
                    first_starts_at=weekly.first_starts_at(),
                    duration=weekly.duration(),
                    weeks=weekly.cleaned_data["weeks"],
                    capacity=weekly.cleaned_data["capacity"],
                    **weekly.window(),
                )
            else:
                created = services.sessions_create_on_dates(
                    event=event,
                    by=request.user,
                    starts_list=dates.starts_list(),
                    duration=dates.duration(),
                    capacity=dates.cleaned_data["capacity"],
                    **dates.window(),
                )
        except ValidationError as error:
            _form_errors_from(form, error, _WEEKLY_ALIASES if mode == "weekly" else _DATES_ALIASES)
        else:
            messages.success(
                request,
                _("%(count)d sessions added.") % {"count": len(created)}
                if len(created) != 1
                else _("One session added."),
            )
            return redirect(reverse("events:manage-event", args=[event.slug]) + "#sessions")
    picked = dates["dates"].value() or []
    return render(
        request,
        "events/manage/sessions_add.html",
        {
            "event": event,
            "mode": mode,
            "weekly": weekly,
            "dates": dates,
            "date_slots": (list(picked) + [""] * DATE_SLOTS)[: max(DATE_SLOTS, len(picked))],
        },
        status=400 if posted else 200,
    )


def _session_context(session) -> dict:
    return {
        "session": session,
        "event": session.event,
        "reached": selectors.session_live_count(session=session),
        "now": timezone.now(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def manage_session(request: HttpRequest, pk: int) -> HttpResponse:
    """A session's seats and registration window."""
    session = selectors.session_managed(user=request.user, pk=pk)
    if request.method == "POST":
        form = SessionEditForm(request.POST)
        if form.is_valid():
            try:
                session = services.session_update(
                    session=session,
                    by=request.user,
                    capacity=form.cleaned_data["capacity"],
                    opens_at=form.cleaned_data["opens_at"],
                    closes_at=form.cleaned_data["closes_at"],
                )
            except ValidationError as error:
                _form_errors_from(form, error)
            else:
                messages.success(request, _("The session is saved."))
                return redirect("events:manage-session", session.pk)
    else:
        form = SessionEditForm(
            initial={
                "capacity": session.capacity,
                "opens_at": session.registration_opens_at
                and timezone.localtime(session.registration_opens_at),
                "closes_at": session.registration_closes_at
                and timezone.localtime(session.registration_closes_at),
            }
        )
    return render(
        request, "events/manage/session.html", {**_session_context(session), "form": form}
    )


@login_required
@require_http_methods(["GET", "POST"])
def manage_session_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel a session, after a confirmation that says how many people will be told."""
    session = selectors.session_managed(user=request.user, pk=pk)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.session_cancel(
                session=session, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _form_errors_from(form, error)
        else:
            messages.success(
                request, _("The session is cancelled; every registrant has been told.")
            )
            return redirect(reverse("events:manage-event", args=[session.event.slug]) + "#sessions")
    return render(
        request, "events/manage/session_cancel.html", {**_session_context(session), "form": form}
    )


@login_required
@require_http_methods(["GET", "POST"])
def manage_session_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a session: choose the new time, check what it changes, then confirm."""
    session = selectors.session_managed(user=request.user, pk=pk)
    if request.method == "POST":
        form = SessionMoveForm(request.POST)
    else:
        start, end = timezone.localtime(session.starts_at), timezone.localtime(session.ends_at)
        form = SessionMoveForm(
            initial={"date": start.date(), "start": start.time(), "end": end.time()}
        )
    preview = False
    if request.method == "POST" and form.is_valid():
        if request.POST.get("confirm") == "1":
            try:
                services.session_move(
                    session=session,
                    by=request.user,
                    starts_at=form.cleaned_data["starts_at"],
                    ends_at=form.cleaned_data["ends_at"],
                )
            except ValidationError as error:
                _form_errors_from(
                    form, error, {"starts_at": "date", "ends_at": "end", "closes_at": "date"}
                )
            else:
                messages.success(
                    request, _("The session is moved; every registrant has the new time.")
                )
                return redirect("events:manage-session", session.pk)
        else:
            preview = True
    return render(
        request,
        "events/manage/session_move.html",
        {**_session_context(session), "form": form, "preview": preview},
    )


"""Pages of workshops and events. Sections are appended per capability."""


# --- registrations and the waitlist -------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def offer_claim(request: HttpRequest, token: str) -> HttpResponse:
    """The claim link of a freed seat. Opening it asks for a click (a link checker that
    opens it claims nothing); the click claims the seat."""
    if request.method == "POST":
        try:
            registration = registration_offer_claim(token=token, user=request.user)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, " ".join(getattr(error, "messages", None) or [str(error)]))
        else:
            messages.success(
                request,
                _("The seat is yours: %(who)s is registered for “%(event)s”.")
                % {
                    "who": registration.attendee_label,
                    "event": registration.session.event.title,
                },
            )
        return redirect("events:my")
    return render(request, "events/offer_claim.html", {"token": token})


# --- registration pages: register, my registrations, the staff's waitlist (evweb) ---------


REGISTRATION_KINDS = ("children", "adult", "school_class")


def _registration_options(user, event) -> dict:
    """Which registration forms a person sees for an event (the services decide the rest)."""
    guardian = user.has_perm("accounts.register_children")
    return {
        "children_allowed": guardian
        and event.kind not in CLUSTER_KINDS
        and event.kind != EventKind.TRAINING,
        "adult_allowed": event.kind not in CHILDREN_KINDS,
        "class_allowed": guardian and event.accepts_school_classes,
    }


def _registration_forms(request: HttpRequest, session, options: dict, kind: str | None) -> dict:
    tickets = list(session.event.ticket_categories.all())
    children_ages = (
        selectors.children_for_session(guardian=request.user, session=session)
        if options["children_allowed"]
        else []
    )
    data = request.POST if request.method == "POST" else None
    return {
        "children_ages": children_ages,
        "children_form": ChildrenRegistrationForm(
            data if kind == "children" else None, children_ages=children_ages, tickets=tickets
        ),
        "adult_form": AdultRegistrationForm(data if kind == "adult" else None, tickets=tickets),
        "class_form": SchoolClassForm(data if kind == "school_class" else None, tickets=tickets),
    }


def _register(request: HttpRequest, session, kind: str, forms: dict) -> bool:
    """Call the service for the posted form; True when registered. Refusals land on the
    form; another guardian's child is a 404 (nobody learns it exists)."""
    user = request.user
    if kind == "children":
        form = forms["children_form"]
        if not user.has_perm("accounts.register_children"):
            raise PermissionDenied(_("Only guardians may register children."))
        own = {str(child.pk): child for child, _age in forms["children_ages"]}
        if any(pk not in own for pk in request.POST.getlist("children")):
            raise Http404
        if not form.is_valid():
            return False
        try:
            services.registration_children_create(
                guardian=user,
                session=session,
                children=[own[pk] for pk in form.cleaned_data["children"]],
                ticket_category=form.cleaned_data.get("ticket_category"),
            )
        except ValidationError as error:
            _form_errors_from(form, error)
            return False
        return True
    if kind == "adult":
        form = forms["adult_form"]
        if not form.is_valid():
            return False
        try:
            services.registration_adult_create(
                user=user, session=session, ticket_category=form.cleaned_data.get("ticket_category")
            )
        except ValidationError as error:
            _form_errors_from(form, error)
            return False
        return True
    form = forms["class_form"]
    if not form.is_valid():
        return False
    data = form.cleaned_data
    try:
        services.school_class_register(
            teacher=user,
            session=session,
            school=data["school"],
            school_name=data["school_name"],
            school_commune=data["school_commune"],
            grade=data["grade"],
            pupils=data["pupils"],
            accompanying_adults=data["accompanying_adults"],
            ticket_category=data.get("ticket_category"),
        )
    except ValidationError as error:
        _form_errors_from(form, error, {"pupils": "pupils"})
        return False
    return True


@login_required
@require_http_methods(["GET", "POST"])
def session_register(request: HttpRequest, pk: int) -> HttpResponse:
    """Register for one session: children (guardians), a school class (teachers), oneself
    (adults). A full session puts people on its waitlist. htmx loads the forms into the
    event page; without JavaScript this is a page of its own."""
    session = selectors.session_public(pk=pk, viewer=request.user)
    event = session.event
    session.state = selectors.session_state(session, now=timezone.now())
    options = _registration_options(request.user, event)
    kind = (request.POST if request.method == "POST" else request.GET).get("kind")
    if kind not in REGISTRATION_KINDS:
        kind = None
    forms = _registration_forms(request, session, options, kind)
    status = 200
    if request.method == "POST":
        if kind is None:
            messages.error(request, _("Choose whom to register."))
            status = 400
        elif _register(request, session, kind, forms):
            return redirect("events:registered", session.pk)
        else:
            status = 400
    context = {"event": event, "session": session, "kind": kind, **options, **forms}
    if request.htmx and request.method == "GET":
        return render(request, "events/_register_forms.html", context)
    return render(request, "events/register.html", context, status=status)


@login_required
@require_GET
def session_registered(request: HttpRequest, pk: int) -> HttpResponse:
    """After registering: each registration of the person in this session, confirmed or
    on the waitlist with its position."""
    session = selectors.session_public(pk=pk, viewer=request.user)
    return render(
        request,
        "events/registered.html",
        {
            "event": session.event,
            "session": session,
            "registrations": selectors.session_registrations_of(user=request.user, session=session),
        },
    )


@login_required
@require_GET
def my_registrations(request: HttpRequest) -> HttpResponse:
    upcoming, past = selectors.my_registrations(user=request.user)
    return render(
        request,
        "events/my_registrations.html",
        {"upcoming": upcoming, "past": past, "now": timezone.now()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def my_registration_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel one of one's registrations, after a confirmation."""
    registration = selectors.registration_own(user=request.user, pk=pk)
    if request.method == "POST":
        try:
            services.registration_cancel(registration=registration, by=request.user)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, " ".join(getattr(error, "messages", None) or [str(error)]))
        else:
            messages.success(
                request,
                _("The registration of %(who)s for “%(event)s” is cancelled.")
                % {
                    "who": registration.attendee_label,
                    "event": registration.session.event.title,
                },
            )
        return redirect("events:my")
    return render(request, "events/registration_cancel.html", {"registration": registration})


@login_required
@require_GET
def session_waitlist(request: HttpRequest, pk: int) -> HttpResponse:
    """The staff's view of a session's queue, in order of arrival, with the open offers."""
    session = selectors.session_managed(user=request.user, pk=pk)
    return render(
        request,
        "events/manage/waitlist.html",
        {
            **_session_context(session),
            "rows": selectors.waitlist_rows(session=session),
        },
    )


@login_required
@require_POST
def session_waitlist_offer(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_managed(user=request.user, pk=pk)
    try:
        registration = services.waitlist_offer_next(session=session, by=request.user)
    except ValidationError as error:
        _say(request, error)
    else:
        messages.success(
            request,
            _("A seat is offered to %(who)s; the claim link is on its way by e-mail.")
            % {"who": registration.attendee_label},
        )
    return redirect("events:session-waitlist", session.pk)


@login_required
@require_POST
def session_waitlist_remove(request: HttpRequest, pk: int, registration: int) -> HttpResponse:
    session = selectors.session_managed(user=request.user, pk=pk)
    entry = get_object_or_404(
        session.registrations.select_related("child", "school"), pk=registration
    )
    entry.session = session
    try:
        services.waitlist_entry_remove(registration=entry, by=request.user)
    except ValidationError as error:
        _say(request, error)
    else:
        messages.success(
            request,
            _("%(who)s is off the waitlist.") % {"who": entry.attendee_label},
        )
    return redirect("events:session-waitlist", session.pk)
