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
    prepaid_accounts_of,
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
    return render(
        request,
        "fablab/my_bookings.html",
        {
            "bookings": bookings_of(user=request.user),
            "prepaid_accounts": prepaid_accounts_of(user=request.user),
        },
    )


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


# === Staff side: trainings, makers, the desk, blocks, machines, the kiosk ==================


from django.contrib.auth.decorators import permission_required  # noqa: E402
from django.utils import formats  # noqa: E402
from django.views.decorators.http import require_http_methods, require_POST  # noqa: E402

from fabreck.accounts.models import User  # noqa: E402
from fabreck.fablab import selectors, services  # noqa: E402
from fabreck.fablab.forms import (  # noqa: E402
    BlockForm,
    EmailForm,
    GrantForm,
    MaterialUseForm,
    PriceGroupForm,
    ResultForm,
    RevokeForm,
    StatusForm,
    TrainingSessionForm,
)
from fabreck.fablab.models import (  # noqa: E402
    Authorisation,
    Booking,
    Material,
    MaterialUse,
    TrainingParticipant,
    TrainingSession,
)


def _form_errors_from(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _say(request: HttpRequest, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


# --- Trainings, for makers ---------------------------------------------------------------


@require_GET
def trainings(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "fablab/trainings.html",
        {"courses": selectors.trainings_upcoming(user=request.user)},
    )


@login_required
@require_POST
def training_register(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_object_or_404(TrainingSession.objects.select_related("site", "course"), pk=pk)
    try:
        services.participant_add(session=session, by=request.user, user=request.user)
    except ValidationError as error:
        _say(request, error)
    else:
        messages.success(
            request,
            _("You are registered for %(course)s on %(date)s.")
            % {
                "course": session.course.name,
                "date": _local_format(session.starts_at),
            },
        )
    return redirect("fablab:trainings")


@login_required
@require_POST
def training_unregister(request: HttpRequest, pk: int) -> HttpResponse:
    participant = get_object_or_404(
        TrainingParticipant.objects.select_related("session__site"),
        session_id=pk,
        user=request.user,
    )
    try:
        services.participant_remove(participant=participant, by=request.user)
    except ValidationError as error:
        _say(request, error)
    else:
        messages.success(request, _("You are no longer registered for this session."))
    return redirect("fablab:my-trainings")


@login_required
@require_GET
def my_trainings(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    return render(
        request,
        "fablab/my_trainings.html",
        {
            "authorisations": selectors.authorisations_of(user=request.user, now=now),
            "registrations": selectors.trainings_of(user=request.user),
            "now": now,
        },
    )


def _local_format(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


# --- The site desk: sessions ----------------------------------------------------------------


@login_required
@permission_required("accounts.run_site", raise_exception=True)
@require_GET
def desk_home(request: HttpRequest) -> HttpResponse:
    sites = selectors.sites_run_by(user=request.user)
    if len(sites) == 1:
        return redirect("fablab:desk", sites[0].slug)
    return render(request, "fablab/staff/desk_home.html", {"sites": sites})


@login_required
@require_http_methods(["GET", "POST"])
def desk_sessions(request: HttpRequest, site: str) -> HttpResponse:
    site_obj = selectors.site_run_by(user=request.user, slug=site)
    form = TrainingSessionForm(
        request.POST or None, site=site_obj, initial={"instructor": request.user.pk}
    )
    if request.method == "POST" and form.is_valid():
        try:
            session = services.training_session_create(
                by=request.user, site=site_obj, **form.cleaned_data
            )
        except ValidationError as error:
            _form_errors_from(form, error)
        else:
            messages.success(request, _("The session has been scheduled."))
            return redirect("fablab:desk-session", site_obj.slug, session.pk)
    return render(
        request,
        "fablab/staff/sessions.html",
        {
            "site": site_obj,
            "sessions": selectors.training_sessions_of_site(site=site_obj)[:200],
            "form": form,
            "now": timezone.now(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def desk_session(request: HttpRequest, site: str, pk: int) -> HttpResponse:
    site_obj = selectors.site_run_by(user=request.user, slug=site)
    session = selectors.training_session_of_site(site=site_obj, pk=pk)
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            participant = services.participant_add(
                session=session, by=request.user, email=form.cleaned_data["email"]
            )
        except ValidationError as error:
            _form_errors_from(form, error)
        else:
            messages.success(
                request,
                _("%(name)s is registered.") % {"name": participant.user.display_name},
            )
            return redirect("fablab:desk-session", site_obj.slug, session.pk)
    return render(
        request,
        "fablab/staff/session.html",
        {
            "site": site_obj,
            "session": session,
            "form": form,
            "results": ResultForm.base_fields["result"].choices,
            "started": session.starts_at <= timezone.now(),
        },
    )


def _participant_of(site, session_pk: int, pk: int) -> TrainingParticipant:
    return get_object_or_404(
        TrainingParticipant.objects.select_related("session__site", "session__course", "user"),
        pk=pk,
        session_id=session_pk,
        session__site=site,
    )


@login_required
@require_POST
def desk_result(request: HttpRequest, site: str, pk: int, participant: int) -> HttpResponse:
    site_obj = selectors.site_run_by(user=request.user, slug=site)
    row = _participant_of(site_obj, pk, participant)
    form = ResultForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Choose passed, not passed or absent."))
        row = services.session_result_record(
            participant=row, result=form.cleaned_data["result"], by=request.user
        )
    except ValidationError as error:
        _say(request, error)
    else:
        messages.success(
            request,
            _("%(name)s: %(result)s.")
            % {"name": row.user.display_name, "result": row.get_result_display()},
        )
    return redirect("fablab:desk-session", site_obj.slug, pk)


@login_required
@require_POST
def desk_participant_remove(
    request: HttpRequest, site: str, pk: int, participant: int
) -> HttpResponse:
    site_obj = selectors.site_run_by(user=request.user, slug=site)
    row = _participant_of(site_obj, pk, participant)
    try:
        services.participant_remove(participant=row, by=request.user)
    except ValidationError as error:
        _say(request, error)
    else:
        messages.success(request, _("%(name)s is off the list.") % {"name": row.user.display_name})
    return redirect("fablab:desk-session", site_obj.slug, pk)


# --- The site desk: makers, authorisations, price groups ------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def desk_grant(request: HttpRequest, site: str) -> HttpResponse:
    site_obj = selectors.site_run_by(user=request.user, slug=site)
    form = GrantForm(request.POST or None, initial={"email": request.GET.get("email", "")})
    if request.method == "POST" and form.is_valid():
        try:
            maker = selectors.user_by_email(email=form.cleaned_data["email"])
            services.authorisation_grant(
                user=maker,
                course=form.cleaned_data["course"],
                by=request.user,
                site=site_obj,
                evidence=form.cleaned_data["evidence"],
            )
        except ValidationError as error:
            _form_errors_from(form, error)
        else:
            messages.success(
                request,
                _("%(name)s may now use the machines of %(course)s.")
                % {"name": maker.display_name, "course": form.cleaned_data["course"].name},
            )
            return redirect(
                reverse("fablab:desk-maker", args=[site_obj.slug])
                + "?"
                + urlencode({"email": maker.email})
            )
    return render(request, "fablab/staff/grant.html", {"site": site_obj, "form": form})


@login_required
@require_GET
def desk_maker(request: HttpRequest, site: str) -> HttpResponse:
    """Find a maker by e-mail: their authorisations (revoke) and price group."""
    site_obj = selectors.site_run_by(user=request.user, slug=site)
    form = EmailForm(request.GET or None)
    maker = None
    context: dict = {"site": site_obj, "form": form}
    if form.is_valid():
        try:
            maker = selectors.user_by_email(email=form.cleaned_data["email"])
        except ValidationError as error:
            _form_errors_from(form, error)
    if maker is not None:
        profile = selectors.maker_profile_of(user=maker)
        context |= {
            "maker": maker,
            "authorisations": selectors.authorisations_of(user=maker),
            "registrations": selectors.trainings_of(user=maker)[:20],
            "profile": profile,
            "price_form": PriceGroupForm(
                initial={
                    "price_group": profile.price_group_id if profile else None,
                    "note": profile.price_group_note if profile else "",
                }
            ),
        }
    return render(request, "fablab/staff/maker.html", context)


def _back_to_maker(site_slug: str, maker) -> HttpResponse:
    return redirect(
        reverse("fablab:desk-maker", args=[site_slug]) + "?" + urlencode({"email": maker.email})
    )


@login_required
@require_POST
def desk_revoke(request: HttpRequest, site: str, pk: int) -> HttpResponse:
    site_obj = selectors.site_run_by(user=request.user, slug=site)
    authorisation = get_object_or_404(Authorisation.objects.select_related("user", "course"), pk=pk)
    form = RevokeForm(request.POST)
    form.is_valid()
    try:
        services.authorisation_revoke(
            authorisation=authorisation,
            by=request.user,
            site=site_obj,
            reason=form.cleaned_data.get("reason", ""),
        )
    except ValidationError as error:
        _say(request, error)
    else:
        messages.success(
            request,
            _("The authorisation of %(name)s for %(course)s is revoked.")
            % {"name": authorisation.user.display_name, "course": authorisation.course.name},
        )
    return _back_to_maker(site_obj.slug, authorisation.user)


@login_required
@require_POST
def desk_price_group(request: HttpRequest, site: str, user: int) -> HttpResponse:
    site_obj = selectors.site_run_by(user=request.user, slug=site)
    maker = get_object_or_404(User, pk=user)
    form = PriceGroupForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Choose a price group."))
        profile = services.maker_price_group_set(
            maker=maker,
            price_group=form.cleaned_data["price_group"],
            note=form.cleaned_data["note"],
            by=request.user,
            site=site_obj,
        )
    except ValidationError as error:
        _say(request, error)
    else:
        messages.success(
            request,
            _("%(name)s now pays the %(group)s rates.")
            % {"name": maker.display_name, "group": profile.price_group.name},
        )
    return _back_to_maker(site_obj.slug, maker)


# --- The site desk: today's bookings, usage, materials --------------------------------------


def _day_from(request: HttpRequest) -> date:
    try:
        return date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return timezone.localdate()


@login_required
@require_GET
def desk(request: HttpRequest, site: str) -> HttpResponse:
    site_obj = selectors.site_run_by(user=request.user, slug=site)
    day = _day_from(request)
    return render(
        request,
        "fablab/staff/desk.html",
        {
            "site": site_obj,
            "day": day,
            "is_today": day == timezone.localdate(),
            "previous_day": day - timedelta(days=1),
            "next_day": day + timedelta(days=1),
            "rows": selectors.desk_day(site=site_obj, day=day),
            "materials": list(selectors.materials_on_sale(site=site_obj)),
        },
    )


def _desk_reply(request: HttpRequest, site_obj, booking: Booking, error=None) -> HttpResponse:
    """The booking's card for htmx; otherwise back to the desk of the booking's day."""
    if request.htmx:
        booking = selectors.desk_booking(site=site_obj, pk=booking.pk)
        return render(
            request,
            "fablab/staff/_desk_booking.html",
            {
                "site": site_obj,
                "booking": booking,
                "materials": list(selectors.materials_on_sale(site=site_obj)),
                "error": " ".join(error.messages) if error else "",
            },
        )
    if error is not None:
        _say(request, error)
    day = timezone.localtime(booking.starts_at).date()
    return redirect(reverse("fablab:desk", args=[site_obj.slug]) + f"?day={day.isoformat()}")


_USAGE_ACTIONS = {
    "check-in": services.booking_check_in,
    "check-out": services.booking_check_out,
    "no-show": services.booking_no_show_mark,
}


@login_required
@require_POST
def desk_usage(request: HttpRequest, site: str, pk: int, action: str) -> HttpResponse:
    site_obj = selectors.site_run_by(user=request.user, slug=site)
    booking = selectors.desk_booking(site=site_obj, pk=pk)
    try:
        _USAGE_ACTIONS[action](booking=booking, by=request.user)
    except ValidationError as error:
        return _desk_reply(request, site_obj, booking, error)
    return _desk_reply(request, site_obj, booking)


@login_required
@require_POST
def desk_material_add(request: HttpRequest, site: str, pk: int) -> HttpResponse:
    site_obj = selectors.site_run_by(user=request.user, slug=site)
    booking = selectors.desk_booking(site=site_obj, pk=pk)
    form = MaterialUseForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Choose a material and enter a quantity."))
        material = Material.objects.filter(pk=form.cleaned_data["material"]).first()
        if material is None:
            raise ValidationError(_("Choose a material from the catalogue."))
        services.material_use_record(
            booking=booking,
            material=material,
            quantity=form.cleaned_data["quantity"],
            by=request.user,
        )
    except ValidationError as error:
        return _desk_reply(request, site_obj, booking, error)
    return _desk_reply(request, site_obj, booking)


@login_required
@require_POST
def desk_material_delete(request: HttpRequest, site: str, pk: int, use: int) -> HttpResponse:
    site_obj = selectors.site_run_by(user=request.user, slug=site)
    booking = selectors.desk_booking(site=site_obj, pk=pk)
    row = get_object_or_404(MaterialUse, pk=use, booking=booking)
    services.material_use_delete(use=row, by=request.user)
    return _desk_reply(request, site_obj, booking)


# --- The site desk: blocks, maintenance, machine status -------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def desk_blocks(request: HttpRequest, site: str) -> HttpResponse:
    site_obj = selectors.site_run_by(user=request.user, slug=site)
    form = BlockForm(request.POST or None, site=site_obj)
    if request.method == "POST" and form.is_valid():
        try:
            services.resource_block(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            _form_errors_from(form, error)
        else:
            messages.success(request, _("The time is blocked."))
            return redirect("fablab:desk-blocks", site_obj.slug)
    return render(
        request,
        "fablab/staff/blocks.html",
        {"site": site_obj, "form": form, "blocks": selectors.staff_blocks(site=site_obj)},
    )


@login_required
@require_POST
def desk_block_remove(request: HttpRequest, site: str, pk: int) -> HttpResponse:
    site_obj = selectors.site_run_by(user=request.user, slug=site)
    block = get_object_or_404(
        Booking.objects.select_related("resource__site"),
        pk=pk,
        resource__site=site_obj,
        kind__in=[Booking.Kind.BLOCK, Booking.Kind.MAINTENANCE],
    )
    try:
        services.booking_cancel(booking=block, by=request.user, reason=_("Removed by staff"))
    except ValidationError as error:
        _say(request, error)
    else:
        messages.success(request, _("The block is removed: the time is free again."))
    return redirect("fablab:desk-blocks", site_obj.slug)


@login_required
@require_GET
def desk_resources(request: HttpRequest, site: str) -> HttpResponse:
    site_obj = selectors.site_run_by(user=request.user, slug=site)
    return render(
        request,
        "fablab/staff/resources.html",
        {
            "site": site_obj,
            "resources": selectors.resources_of_site(site=site_obj),
            "statuses": Resource.Status.choices,
        },
    )


@login_required
@require_POST
def desk_resource_status(request: HttpRequest, site: str, pk: int) -> HttpResponse:
    site_obj = selectors.site_run_by(user=request.user, slug=site)
    resource = get_object_or_404(Resource, pk=pk, site=site_obj)
    form = StatusForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Choose available, in maintenance or out of order."))
        resource = services.machine_status_set(
            resource=resource, status=form.cleaned_data["status"], by=request.user
        )
    except ValidationError as error:
        _say(request, error)
    else:
        messages.success(
            request,
            _("%(resource)s: %(status)s.")
            % {"resource": resource.name, "status": resource.get_status_display()},
        )
    return redirect("fablab:desk-resources", site_obj.slug)


# --- The kiosk: a tablet at the entrance, logged in by staff --------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def kiosk(request: HttpRequest, site: str) -> HttpResponse:
    site_obj = selectors.site_run_by(user=request.user, slug=site)
    form = EmailForm(request.POST or None)
    bookings = None
    if request.method == "POST" and form.is_valid():
        bookings = selectors.kiosk_bookings(
            site=site_obj, email=form.cleaned_data["email"], day=timezone.localdate()
        )
    return _kiosk_page(request, site_obj, form, bookings)


def _kiosk_page(request, site_obj, form, bookings, status=200) -> HttpResponse:
    return render(
        request,
        "fablab/kiosk.html",
        {"site": site_obj, "form": form, "bookings": bookings, "now": timezone.now()},
        status=status,
    )


@login_required
@require_POST
def kiosk_usage(request: HttpRequest, site: str, pk: int, action: str) -> HttpResponse:
    """Check in or out from the kiosk: only a booking of today of the maker whose e-mail
    was typed, at this site."""
    site_obj = selectors.site_run_by(user=request.user, slug=site)
    form = EmailForm(request.POST)
    if not form.is_valid() or action not in ("check-in", "check-out"):
        raise Http404
    email = form.cleaned_data["email"]
    today = timezone.localdate()
    booking = next(
        (b for b in selectors.kiosk_bookings(site=site_obj, email=email, day=today) if b.pk == pk),
        None,
    )
    if booking is None:
        raise Http404
    try:
        booking = _USAGE_ACTIONS[action](booking=booking, by=request.user)
    except ValidationError as error:
        _say(request, error)
    else:
        if action == "check-in":
            messages.success(
                request,
                _("Welcome! You are checked in on %(resource)s.")
                % {"resource": booking.resource.name},
            )
        else:
            messages.success(
                request,
                _("Goodbye! You are checked out of %(resource)s.")
                % {"resource": booking.resource.name},
            )
    bookings = selectors.kiosk_bookings(site=site_obj, email=email, day=today)
    return _kiosk_page(request, site_obj, EmailForm(initial={"email": email}), bookings)


# === Prepaid hours (credits) ==================================================================

from django.core.exceptions import PermissionDenied  # noqa: E402

from fabreck.fablab.forms import PrepaidChangeForm  # noqa: E402
from fabreck.fablab.selectors import (  # noqa: E402
    organisations_without_account,
    prepaid_account_page,
    prepaid_accounts_listed,
    user_is_fablab_staff,
)
from fabreck.fablab.services import prepaid_hours_change  # noqa: E402


@login_required
@require_GET
def credits_accounts(request: HttpRequest) -> HttpResponse:
    """Staff: every organisation's prepaid hours (and a search to grant a first one).
    Others: the accounts of their organisations."""
    query = request.GET.get("q", "")[:80]
    if user_is_fablab_staff(user=request.user):
        context = {
            "is_staff": True,
            "query": query,
            "page": prepaid_accounts_listed(
                user=request.user, query=query, page=request.GET.get("page")
            ),
            "without_account": organisations_without_account(query=query),
        }
    else:
        context = {"is_staff": False, "accounts": prepaid_accounts_of(user=request.user)}
    return render(request, "fablab/credits_accounts.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def credits_account(request: HttpRequest, slug: str) -> HttpResponse:
    """An organisation's balance and movements; staff grant or adjust hours here."""
    page = prepaid_account_page(slug=slug, user=request.user, page=request.GET.get("page"))
    form = None
    if page.is_staff:
        form = PrepaidChangeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(_("Only the FabLab staff may grant or adjust prepaid hours."))
        if form.is_valid():
            try:
                movement = prepaid_hours_change(
                    organisation=page.organisation,
                    kind=form.cleaned_data["kind"],
                    hours=form.cleaned_data["hours"],
                    note=form.cleaned_data["note"],
                    by=request.user,
                )
            except ValidationError as error:
                _form_errors_from(form, error)
            else:
                messages.success(
                    request,
                    _("%(hours)s hours recorded for %(organisation)s.")
                    % {"hours": movement.hours, "organisation": page.organisation.name},
                )
                return redirect("fablab:credits-account", slug=page.organisation.slug)
    return render(
        request,
        "fablab/credits_account.html",
        {"page": page, "form": form},
        status=400 if form is not None and form.errors else 200,
    )
