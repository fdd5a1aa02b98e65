"""FabLab pages. Thin: parse, call one service or selector, render."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fabreck.core.http import safe_next_url
from fabreck.fablab.forms import BookingForm, MoveForm
from fabreck.fablab.models import Resource, Site
from fabreck.fablab.selectors import (
    CalendarEntry,
    booking_change_deadline,
    booking_changeable_by,
    booking_preview,
    booking_visible_to,
    bookings_of,
    calendar_entries,
    calendar_scope,
    feed_by_secret,
    feed_calendar,
    feeds_of,
    machine_categories,
    organisations_for_booking,
    resource_page,
    resources_for_booking_form,
    resources_free_during,
    site_page,
    sites_public,
)
from fabreck.fablab.services import (
    booking_cancel,
    booking_create,
    booking_reschedule,
    feed_create,
    feed_revoke,
)


@login_required
@require_GET
def booking_detail(request: HttpRequest, pk: int) -> HttpResponse:
    booking = booking_visible_to(pk=pk, user=request.user)
    return render(
        request,
        "fablab/booking.html",
        {
            "booking": booking,
            "changeable": booking_changeable_by(booking=booking, user=request.user),
            "change_deadline": booking_change_deadline(booking),
            "is_over": booking.ends_at <= timezone.now(),
        },
    )


# === Public and maker pages: sites, machines, calendar, booking, my bookings, feeds ======
# (fablab-pages branch)

NEW_FEED_SESSION_KEY = "fablab_new_feed"


@require_GET
def sites(request: HttpRequest) -> HttpResponse:
    return render(request, "fablab/sites.html", {"sites": sites_public()})


@require_GET
def site(request: HttpRequest, site: Site) -> HttpResponse:
    return render(request, "fablab/site.html", {"page": site_page(site=site)})


@require_GET
def resource(request: HttpRequest, slug: str) -> HttpResponse:
    page = resource_page(slug=slug, viewer=request.user)
    return render(request, "fablab/resource.html", {"page": page})


def _scope_params(request: HttpRequest) -> dict[str, str]:
    return {key: request.GET.get(key, "")[:80] for key in ("site", "category", "resource")}


@require_GET
def calendar(request: HttpRequest) -> HttpResponse:
    params = _scope_params(request)
    scope = calendar_scope(**params)
    query = urlencode({key: value for key, value in params.items() if value})
    initial_date = request.GET.get("date", "")
    try:
        date.fromisoformat(initial_date)
    except ValueError:
        initial_date = ""
    only = scope.site if scope.site else (scope.sites[0] if len(scope.sites) == 1 else None)
    return render(
        request,
        "fablab/calendar.html",
        {
            "scope": scope,
            "params": params,
            "events_url": reverse("fablab:calendar-events") + (f"?{query}" if query else ""),
            "initial_view": "timeGridDay" if request.GET.get("view") == "day" else "timeGridWeek",
            "initial_date": initial_date,
            "step": only.slot_minutes if only else 15,
            "default_minutes": max(only.min_booking_minutes, 60) if only else 60,
            "sites": sites_public(),
            "categories": machine_categories(),
        },
    )


def _moment(value: str) -> datetime:
    """An ISO 8601 date or date-time from FullCalendar; without an offset it is local
    (Europe/Luxembourg) time. A '+' sent unencoded arrives as a space."""
    moment = datetime.fromisoformat(value.strip().replace(" ", "+"))
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


_EARLIEST, _LATEST = 2000, 2100  # years a calendar may show (far dates overflow time zones)

_EVENT_COLOURS = {
    "free": "#198754",
    "own": "#0d6efd",
    "booked": "#6c757d",
    "block": "#343a40",
    "maintenance": "#fd7e14",
    "closure": "#dc3545",
}


def _event_json(entry: CalendarEntry) -> list[dict]:
    colour = _EVENT_COLOURS[entry.kind]
    props = {"kind": entry.kind, "resource": entry.resource.slug if entry.resource else ""}
    if entry.kind == "closure":
        days = {
            "start": entry.first_day.isoformat(),
            "end": (entry.last_day + timedelta(days=1)).isoformat(),
            "allDay": True,
        }
        return [
            {**days, "title": entry.title, "color": colour, "extendedProps": props},
            {**days, "display": "background", "color": colour, "extendedProps": props},
        ]
    event = {
        "title": entry.title,
        "start": timezone.localtime(entry.starts_at).isoformat(),
        "end": timezone.localtime(entry.ends_at).isoformat(),
        "color": colour,
        "extendedProps": props,
    }
    if entry.kind == "free":  # untitled: several machines' free times overlap in a view
        event.update(display="background", groupId="free", title="")
    if entry.booking is not None:
        event["url"] = reverse("fablab:booking", args=[entry.booking.pk])
    return [event]


@require_GET
def calendar_events(request: HttpRequest) -> JsonResponse:
    """The calendar's events between FullCalendar's `start` and `end` (62 days at most)."""
    try:
        scope = calendar_scope(**_scope_params(request))
    except Http404:
        return JsonResponse(
            {"error": _("This machine, site or category does not exist.")}, status=404
        )
    try:
        starts_at, ends_at = _moment(request.GET["start"]), _moment(request.GET["end"])
    except (KeyError, ValueError, OverflowError):
        return JsonResponse(
            {"error": _("Give the start and the end as dates, such as 2025-03-03.")}, status=400
        )
    if ends_at <= starts_at:
        return JsonResponse({"error": _("The end must come after the start.")}, status=400)
    if not (_EARLIEST <= starts_at.year and ends_at.year <= _LATEST):
        return JsonResponse(
            {"error": _("Choose dates between %(first)d and %(last)d.")
             % {"first": _EARLIEST, "last": _LATEST}},
            status=400,
        )  # fmt: skip
    try:
        entries = calendar_entries(
            scope=scope, starts_at=starts_at, ends_at=ends_at, viewer=request.user
        )
    except ValidationError as error:
        return JsonResponse({"error": " ".join(error.messages)}, status=400)
    return JsonResponse([event for entry in entries for event in _event_json(entry)], safe=False)


def _booking_form(request: HttpRequest, data=None, initial=None) -> BookingForm:
    return BookingForm(
        data,
        initial=initial,
        organisations=organisations_for_booking(user=request.user),
        resources=resources_for_booking_form(),
    )


@login_required
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest) -> HttpResponse:
    """A booking in two steps: the preview (price, every rule broken) then the
    confirmation, which the service checks again. Reached from the calendar or as a form."""
    params = request.POST if request.method == "POST" else request.GET
    complete = all(params.get(key) for key in ("resource", "date", "start", "end"))
    if request.method == "POST" or complete:
        form = _booking_form(request, params)
    else:
        form = _booking_form(request, initial=params.dict())
    preview, errors, free = None, [], None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if request.method == "POST":
            try:
                booking = booking_create(
                    by=request.user,
                    resource=data["resource"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    organisation=data.get("organisation"),
                    project_reference=data["project_reference"],
                    note=data["note"],
                )
            except ValidationError as error:  # SlotTaken too: "this slot was just taken"
                errors = error.messages
            else:
                messages.success(
                    request,
                    _("Your booking of %(resource)s is confirmed; the confirmation is on its way.")
                    % {"resource": booking.resource.name},
                )
                return redirect("fablab:booking", pk=booking.pk)
        preview = booking_preview(
            resource=data["resource"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            maker=request.user,
            organisation=data.get("organisation"),
        )
    elif not form.is_bound and (params.get("site") or params.get("category")):
        # A range chosen in a calendar of several machines: which of them are free then?
        times = MoveForm(params)
        if times.is_valid():
            scope = calendar_scope(**{k: params.get(k, "")[:80] for k in ("site", "category")})
            free = resources_free_during(
                resources=scope.resources,
                starts_at=times.cleaned_data["starts_at"],
                ends_at=times.cleaned_data["ends_at"],
            )
    return render(
        request,
        "fablab/book.html",
        {"form": form, "preview": preview, "errors": errors, "free": free, "params": params},
    )


@login_required
@require_GET
def my_bookings(request: HttpRequest) -> HttpResponse:
    return render(request, "fablab/my_bookings.html", {"bookings": bookings_of(user=request.user)})


@login_required
@require_POST
def booking_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    booking = booking_visible_to(pk=pk, user=request.user)
    try:
        booking_cancel(booking=booking, by=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Your booking of %(resource)s is cancelled.") % {"resource": booking.resource.name},
        )
    fallback = reverse("fablab:booking", args=[pk])
    return redirect(safe_next_url(request, request.POST.get("next"), fallback))


@login_required
@require_http_methods(["GET", "POST"])
def booking_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a booking: a new day and times, the same preview, then the service."""
    booking = booking_visible_to(pk=pk, user=request.user)
    params = request.POST if request.method == "POST" else request.GET
    if request.method == "POST" or all(params.get(k) for k in ("date", "start", "end")):
        form = MoveForm(params)
    else:
        start, end = timezone.localtime(booking.starts_at), timezone.localtime(booking.ends_at)
        form = MoveForm(initial={"date": start.date(), "start": start.time(), "end": end.time()})
    preview, errors = None, []
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if request.method == "POST":
            try:
                booking_reschedule(
                    booking=booking,
                    by=request.user,
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                )
            except ValidationError as error:
                errors = error.messages
            else:
                messages.success(request, _("Your booking has been moved."))
                return redirect("fablab:booking", pk=booking.pk)
        preview = booking_preview(
            resource=booking.resource,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            maker=booking.user,
            organisation=booking.organisation,
            ignore_booking=booking,
        )
    return render(
        request,
        "fablab/booking_move.html",
        {
            "booking": booking,
            "form": form,
            "preview": preview,
            "errors": errors,
            "changeable": booking_changeable_by(booking=booking, user=request.user),
            "change_deadline": booking_change_deadline(booking),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def feeds(request: HttpRequest) -> HttpResponse:
    """One's private calendar feeds; a new one's secret URL is shown once."""
    if request.method == "POST":
        resource = None
        if request.POST.get("resource"):
            resource = get_object_or_404(Resource, slug=request.POST["resource"])
        try:
            _feed, secret = feed_create(owner=request.user, resource=resource)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            request.session[NEW_FEED_SESSION_KEY] = secret
            messages.success(request, _("Your calendar feed is ready: copy its address below."))
        return redirect("fablab:feeds")
    secret = request.session.pop(NEW_FEED_SESSION_KEY, None)
    new_url = (
        request.build_absolute_uri(reverse("fablab:feed-ics", args=[secret])) if secret else None
    )
    return render(
        request, "fablab/feeds.html", {"feeds": feeds_of(user=request.user), "new_url": new_url}
    )


@login_required
@require_POST
def feed_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    feed = get_object_or_404(feeds_of(user=request.user), pk=pk)
    try:
        feed_revoke(feed=feed, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The calendar feed is revoked: its address no longer works."))
    return redirect("fablab:feeds")


@require_GET
def feed_ics(request: HttpRequest, secret: str) -> HttpResponse:
    """A private feed, read by calendar applications (no login: the secret is the key)."""
    feed = feed_by_secret(secret=secret[:100])
    response = HttpResponse(feed_calendar(feed=feed), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    response["Content-Disposition"] = 'inline; filename="fabreck.ics"'
    return response
