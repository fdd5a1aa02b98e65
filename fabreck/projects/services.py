"""Writes of prototyping projects. Each runs in one transaction; e-mails leave on commit."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fabreck.projects.models import Project, ProjectStatus, StatusChange
from fabreck.projects.selectors import user_is_project_staff, user_speaks_for_project

if TYPE_CHECKING:
    from fabreck.accounts.models import User

# Who may make each move: staff run the project; the requester's side answers quotes and
# may withdraw a request that is not under way yet.
STAFF_MOVES = {"quoted", "declined", "in_progress", "delivered", "closed", "cancelled"}
REQUESTER_MOVES = {"accepted", "requested", "cancelled"}
REQUESTER_MAY_CANCEL_FROM = {"requested", "quoted"}


def project_locked(project: Project) -> Project:
    return (
        Project.objects.select_for_update(of=("self",))
        .select_related("organisation", "site", "lead", "requested_by")
        .get(pk=project.pk)
    )


def _ensure_may_move(project: Project, to: str, by: User) -> None:
    if to in STAFF_MOVES and user_is_project_staff(user=by, project=project):
        return
    if to in REQUESTER_MOVES and user_speaks_for_project(user=by, project=project):
        if to != "cancelled" or project.status in REQUESTER_MAY_CANCEL_FROM:
            return
    raise PermissionDenied(_("You may not change this project's status."))


def project_transition(
    *,
    project: Project,
    to: str,
    by: User,
    note: str = "",
    now: datetime | None = None,
    notify: bool = True,
    checked: bool = False,
) -> Project:
    """Move `project` to status `to` if the move is allowed and `by` may make it; record who
    and when; tell the project's people in their language.

    `checked=True` is for services that already hold the project's row lock inside their own
    transaction and have checked who acts (a quote acceptance moves the project itself)."""
    now = now or timezone.now()
    note = note.strip()
    if to not in ProjectStatus.values:
        raise ValidationError(_("Unknown status."), code="unknown_status")
    with transaction.atomic():
        if not checked:
            project = project_locked(project)
            _ensure_may_move(project, to, by)
        if not project.may_become(to):
            raise ValidationError(
                _("A project that is %(current)s cannot become %(target)s.")
                % {
                    "current": project.get_status_display().lower(),
                    "target": ProjectStatus(to).label.lower(),
                },
                code="transition_not_allowed",
            )
        if to == "declined" and not note:
            raise ValidationError(
                {"note": _("Say why the request is declined: the requester will read it.")},
                code="reason_required",
            )
        if to in ("quoted", "accepted", "in_progress", "delivered", "closed") and (
            project.site_id is None or project.lead_id is None
        ):
            raise ValidationError(
                _("Choose the site and the staff lead first."), code="not_triaged"
            )
        previous = project.status
        project.status = to
        project.status_changed_at = now
        fields = ["status", "status_changed_at", "updated_at"]
        if to == "declined":
            project.decline_reason = note
            fields.append("decline_reason")
        if to == "cancelled":
            project.cancel_reason = note
            fields.append("cancel_reason")
        if to == "delivered":
            project.delivered_at = now
            fields.append("delivered_at")
        project.save(update_fields=fields)
        StatusChange.objects.create(
            project=project,
            from_status=previous,
            to_status=to,
            changed_by=by,
            changed_at=now,
            note=note,
        )
        if notify:
            from fabreck.projects.mail import project_change_send

            project_change_send(
                project=project,
                actor=by,
                template="status_changed",
                context={"status_label": project.get_status_display(), "note": note},
            )
    return project


# --- Quotes and execution -------------------------------------------------------------------
#
# Decisions worth knowing:
# - Prices are copied into the lines when a quote is sent: machine hours at the rate of the
#   project's price group (the organisation's, or an individual maker's own), materials at
#   the site catalogue's price, staff hours at settings.PROJECTS_STAFF_HOURLY_RATE unless
#   staff type another rate. A later change of rates never changes a quote already sent.
# - A new version supersedes the one awaiting an answer. Only the current version awaiting
#   an answer may be accepted or rejected, by the requester's side, under the project's row
#   lock: two people answering at once get one answer and one clear refusal (proven on
#   PostgreSQL in tests/projects/test_quotes_concurrency.py).
# - Staff book machines for an accepted project; the first booking starts it (in progress).
#   A booking in the staff lead's name is staff work: the maker's rules (trainings, quota,
#   opening hours, membership of the organisation) do not apply, overlaps still do. A
#   booking in the requester's name follows the maker's rules unless staff override them.

from dataclasses import dataclass  # noqa: E402
from datetime import date  # noqa: E402
from decimal import Decimal, InvalidOperation  # noqa: E402

from django.conf import settings  # noqa: E402
from django.db.models import Max  # noqa: E402
from django.utils import formats  # noqa: E402

from fabreck.fablab.models import Booking, Material, Resource  # noqa: E402
from fabreck.fablab.selectors import hourly_rate_for, price_group_for, price_round  # noqa: E402
from fabreck.fablab.services import booking_create  # noqa: E402
from fabreck.projects.models import (  # noqa: E402
    ProjectBooking,
    Quote,
    QuoteLine,
    QuoteLineKind,
    QuoteStatus,
    StaffTime,
)

QUOTABLE_STATUSES = ("requested", "quoted")
EXECUTION_STATUSES = ("accepted", "in_progress")
STAFF_TIME_STATUSES = ("accepted", "in_progress", "delivered")
MAX_QUOTE_LINES = 50
MAX_LINE_QUANTITY = Decimal("10000")
MAX_UNIT_PRICE = Decimal("99999.99")
MAX_QUOTE_TOTAL = Decimal("9999999999.99")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class QuoteLineInput:
    """One line as staff typed it. Machine and material lines take their price from the
    rates and the catalogue; staff lines from the settings unless `unit_price` is given;
    other lines need a description and a price."""

    kind: str
    quantity: Decimal | str | int | None
    resource: Resource | None = None
    material: Material | None = None
    description: str = ""
    unit_price: Decimal | str | int | None = None


def _decimal(value) -> Decimal | None:
    """A number typed by someone (a dot or a comma), or None when it is not one."""
    if value is None:
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _two_decimals(number: Decimal) -> bool:
    return number == number.quantize(CENT)


def _ensure_project_staff(user: User, project: Project, message: str) -> None:
    if not user_is_project_staff(user=user, project=project):
        raise PermissionDenied(message)


def quote_vat_rate_checked(vat_rate) -> Decimal:
    """The VAT rate of a quote: the settings' rate when none is given, else 0 to 100 %."""
    if _blank(vat_rate):
        return Decimal(str(settings.PROJECTS_VAT_RATE)).quantize(CENT)
    rate = _decimal(vat_rate)
    if rate is None or rate < 0 or rate > 100 or not _two_decimals(rate):
        raise ValidationError(
            {"vat_rate": _("Enter a VAT rate between 0 and 100 %, such as 17 or 8.5.")},
            code="vat_rate",
        )
    return rate.quantize(CENT)


def _line_priced(
    project: Project, number: int, line: QuoteLineInput, price_group
) -> tuple[QuoteLine | None, list[str]]:
    """The line with its copied price, or what is wrong with it (each problem names the
    line: staff see at once which one to fix)."""
    problems: list[str] = []

    def refuse(message: str) -> None:
        problems.append(_("Line %(number)d: %(problem)s") % {"number": number, "problem": message})

    if line.kind not in QuoteLineKind.values:
        refuse(_("choose machine hours, a material, staff hours or other."))
        return None, problems
    quantity = _decimal(line.quantity)
    if quantity is None:
        refuse(_("enter the quantity as a number, such as 2 or 0.5."))
    elif quantity <= 0:
        refuse(_("the quantity must be above zero."))
    elif quantity > MAX_LINE_QUANTITY or not _two_decimals(quantity):
        refuse(_("enter a quantity up to 10000 with at most two decimals."))
    typed_price = None
    if not _blank(line.unit_price):
        typed_price = _decimal(line.unit_price)
        if typed_price is None:
            refuse(_("enter the price as a number, such as 120 or 45.50."))
        elif typed_price < 0:
            refuse(_("a price cannot be negative."))
        elif typed_price > MAX_UNIT_PRICE or not _two_decimals(typed_price):
            refuse(_("enter a price up to 99999.99 with at most two decimals."))
    description = (line.description or "").strip()
    if len(description) > 200:
        refuse(_("keep the description under 200 characters."))
    unit, unit_price = "", None
    resource = material = None
    if line.kind == QuoteLineKind.MACHINE:
        resource = line.resource
        if resource is None:
            refuse(_("choose the machine."))
        elif resource.site_id != project.site_id:
            refuse(
                _("%(machine)s is not a machine of %(site)s.")
                % {"machine": resource.name, "site": project.site.name}
            )
        else:
            unit, description = "h", resource.name
            unit_price = hourly_rate_for(resource=resource, price_group=price_group)
    elif line.kind == QuoteLineKind.MATERIAL:
        material = line.material
        if material is None:
            refuse(_("choose the material."))
        elif material.site_id != project.site_id:
            refuse(
                _("%(material)s is not sold at %(site)s.")
                % {"material": material.name, "site": project.site.name}
            )
        elif not material.is_active:
            refuse(_("%(material)s is no longer on sale.") % {"material": material.name})
        else:
            unit, description = material.unit, material.name
            unit_price = material.unit_price
    elif line.kind == QuoteLineKind.STAFF:
        unit = "h"
        unit_price = (
            typed_price
            if typed_price is not None
            else Decimal(str(settings.PROJECTS_STAFF_HOURLY_RATE))
        )
    else:
        if not description:
            refuse(_("describe what the price is for."))
        if _blank(line.unit_price):
            refuse(_("enter the price."))
        unit_price = typed_price
    if problems or unit_price is None or quantity is None:
        return None, problems
    unit_price = Decimal(unit_price).quantize(CENT)
    return (
        QuoteLine(
            position=number,
            kind=line.kind,
            resource=resource,
            material=material,
            description=description[:200],
            quantity=quantity.quantize(CENT),
            unit=unit[:20],
            unit_price=unit_price,
            total=price_round(quantity * unit_price),
        ),
        problems,
    )


def quote_price_group(*, project: Project):
    """The price group of a project's machine hours: its organisation's; an individual
    maker's own (public unless staff recorded another)."""
    if project.organisation_id is not None:
        return price_group_for(maker=None, organisation=project.organisation)
    return price_group_for(maker=project.requested_by)


def quote_send(
    *,
    project: Project,
    by: User,
    lines: list[QuoteLineInput],
    vat_rate=None,
    valid_until: date | None = None,
    note: str = "",
) -> Quote:
    """Staff send version N+1 of the project's quote. The version awaiting an answer is
    superseded; a requested project becomes quoted; the project's people are told, each in
    their language. Bad lines: every problem named, nothing stored."""
    _ensure_project_staff(by, project, _("Only the project's staff may send a quote."))
    vat = quote_vat_rate_checked(vat_rate)
    note = (note or "").strip()
    if len(note) > 3000:
        raise ValidationError({"note": _("Keep the note under 3000 characters.")}, code="note")
    if valid_until is not None and valid_until < timezone.localdate():
        raise ValidationError(
            {"valid_until": _("The validity date is in the past.")}, code="valid_until"
        )
    lines = list(lines)
    if not lines:
        raise ValidationError(_("Add at least one line to the quote."), code="empty_quote")
    if len(lines) > MAX_QUOTE_LINES:
        raise ValidationError(
            _("A quote has at most %(count)d lines.") % {"count": MAX_QUOTE_LINES},
            code="too_many_lines",
        )
    with transaction.atomic():
        project = project_locked(project)
        _ensure_project_staff(by, project, _("Only the project's staff may send a quote."))
        if project.site_id is None or project.lead_id is None:
            raise ValidationError(
                _("Choose the site and the staff lead first."), code="not_triaged"
            )
        if project.status not in QUOTABLE_STATUSES:
            raise ValidationError(
                _("A project that is %(status)s gets no new quote.")
                % {"status": project.get_status_display().lower()},
                code="not_quotable",
            )
        price_group = quote_price_group(project=project)
        priced: list[QuoteLine] = []
        problems: list[str] = []
        for number, line in enumerate(lines, start=1):
            row, found = _line_priced(project, number, line, price_group)
            problems.extend(found)
            if row is not None:
                priced.append(row)
        if problems:
            raise ValidationError(problems, code="bad_lines")
        net = sum((row.total for row in priced), Decimal("0.00"))
        vat_total = price_round(net * vat / Decimal(100))
        gross = net + vat_total
        if gross > MAX_QUOTE_TOTAL:
            raise ValidationError(_("This quote's total is too large."), code="too_large")
        version = (project.quotes.aggregate(last=Max("version"))["last"] or 0) + 1
        project.quotes.filter(status=QuoteStatus.SENT).update(status=QuoteStatus.SUPERSEDED)
        quote = Quote.objects.create(
            project=project,
            version=version,
            status=QuoteStatus.SENT,
            price_group=price_group,
            vat_rate=vat,
            net_total=net,
            vat_total=vat_total,
            gross_total=gross,
            valid_until=valid_until,
            note=note,
            created_by=by,
        )
        for row in priced:
            row.quote = quote
        QuoteLine.objects.bulk_create(priced)
        if project.status == "requested":
            project = project_transition(
                project=project, to="quoted", by=by, checked=True, notify=False
            )
        from fabreck.projects.mail import project_change_send

        project_change_send(
            project=project, actor=by, template="quote_sent", context={"quote": quote}
        )
    quote.project = project
    return quote


def _ensure_answerable(quote: Quote, project: Project) -> None:
    """Only the current version awaiting an answer, of a project still quoted."""
    if quote.status == QuoteStatus.ACCEPTED:
        raise ValidationError(_("This quote is already accepted."), code="already_accepted")
    if quote.status == QuoteStatus.REJECTED:
        raise ValidationError(
            _("This quote was rejected: wait for the staff's new version."), code="rejected"
        )
    latest = project.quotes.aggregate(last=Max("version"))["last"]
    if quote.status == QuoteStatus.SUPERSEDED or quote.version != latest:
        raise ValidationError(
            _("Version %(old)d was replaced by version %(new)d: answer the current version.")
            % {"old": quote.version, "new": latest},
            code="superseded",
        )
    if project.status != "quoted":
        raise ValidationError(
            _("This project is %(status)s: its quote can no longer be answered.")
            % {"status": project.get_status_display().lower()},
            code="not_quoted",
        )


def _answer_locked(quote: Quote, by: User) -> tuple[Quote, Project]:
    project = project_locked(Project(pk=quote.project_id))
    if not user_speaks_for_project(user=by, project=project):
        raise PermissionDenied(
            _("Only the requester or the organisation's owners and admins may answer a quote.")
        )
    # Read again under the project's lock: every answer and every new version of the
    # project's quote waits for that lock, so what is read here cannot change before commit.
    quote = Quote.objects.get(pk=quote.pk)
    _ensure_answerable(quote, project)
    return quote, project


def quote_accept(*, quote: Quote, by: User, now: datetime | None = None) -> Quote:
    """The requester's side accepts the current version: the project becomes accepted and
    staff may book its machines. Accepting twice, or an old version: refused."""
    now = now or timezone.now()
    with transaction.atomic():
        quote, project = _answer_locked(quote, by)
        if quote.valid_until is not None and quote.valid_until < timezone.localdate(now):
            raise ValidationError(
                _("This quote expired on %(date)s: ask the staff for a new version.")
                % {"date": formats.date_format(quote.valid_until, "DATE_FORMAT")},
                code="expired",
            )
        quote.status = QuoteStatus.ACCEPTED
        quote.decided_by = by
        quote.decided_at = now
        quote.save(update_fields=["status", "decided_by", "decided_at"])
        project = project_transition(
            project=project, to="accepted", by=by, now=now, checked=True, notify=False
        )
        from fabreck.projects.mail import project_change_send

        project_change_send(
            project=project, actor=by, template="quote_accepted", context={"quote": quote}
        )
    quote.project = project
    return quote


def quote_reject(*, quote: Quote, by: User, reason: str, now: datetime | None = None) -> Quote:
    """The requester's side rejects the current version, saying why: the project goes back
    to requested until staff send a new version."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": _("Say why you reject the quote: the staff read it to prepare a new one.")},
            code="reason_required",
        )
    if len(reason) > 2000:
        raise ValidationError({"reason": _("Keep the reason under 2000 characters.")})
    with transaction.atomic():
        quote, project = _answer_locked(quote, by)
        quote.status = QuoteStatus.REJECTED
        quote.decided_by = by
        quote.decided_at = now
        quote.decision_note = reason
        quote.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        project = project_transition(
            project=project, to="requested", by=by, note=reason, now=now, checked=True,
            notify=False,
        )  # fmt: skip
        from fabreck.projects.mail import project_change_send

        project_change_send(
            project=project,
            actor=by,
            template="quote_rejected",
            context={"quote": quote, "reason": reason},
        )
    quote.project = project
    return quote


# --- Execution: bookings and staff time -----------------------------------------------------


def _ensure_executing(project: Project) -> None:
    if project.status not in EXECUTION_STATUSES:
        raise ValidationError(
            _(
                "Machines are booked for a project once its quote is accepted; this one is "
                "%(status)s."
            )
            % {"status": project.get_status_display().lower()},
            code="not_accepted",
        )


def _started(project: Project, by: User) -> Project:
    """The first booking of an accepted project starts the work."""
    if project.status == "accepted":
        return project_transition(project=project, to="in_progress", by=by, checked=True)
    return project


def project_booking_create(
    *,
    project: Project,
    by: User,
    resource: Resource,
    starts_at: datetime,
    ends_at: datetime,
    operator: str = "lead",
    override: bool = False,
    note: str = "",
) -> ProjectBooking:
    """Staff book a machine of the project's site for the project, in the FabLab calendar,
    in the staff lead's name (staff work) or the requester's (who comes to operate it)."""
    _ensure_project_staff(by, project, _("Only the project's staff may book for it."))
    if operator not in ("lead", "requester"):
        raise ValidationError({"operator": _("Choose the staff lead or the requester.")})
    with transaction.atomic():
        project = project_locked(project)
        _ensure_project_staff(by, project, _("Only the project's staff may book for it."))
        _ensure_executing(project)
        if resource.site_id != project.site_id:
            raise ValidationError(
                {
                    "resource": _("%(machine)s is not a machine of %(site)s.")
                    % {"machine": resource.name, "site": project.site.name}
                },
                code="other_site",
            )
        maker = project.lead if operator == "lead" else project.requested_by
        booking = booking_create(
            by=by,
            resource=resource,
            starts_at=starts_at,
            ends_at=ends_at,
            maker=maker,
            organisation=project.organisation,
            project_reference=project.reference,
            note=note,
            override=override or operator == "lead",
        )
        link = ProjectBooking.objects.create(project=project, booking=booking)
        link.project = _started(project, by)
    return link


def project_booking_link(*, project: Project, by: User, booking: Booking) -> ProjectBooking:
    """Staff count an existing booking of the project's site towards the project."""
    _ensure_project_staff(by, project, _("Only the project's staff may book for it."))
    with transaction.atomic():
        project = project_locked(project)
        _ensure_project_staff(by, project, _("Only the project's staff may book for it."))
        _ensure_executing(project)
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("resource")
            .get(pk=booking.pk)
        )
        if booking.resource.site_id != project.site_id:
            raise ValidationError(
                {"booking": _("This booking is at another site than the project.")},
                code="other_site",
            )
        if booking.kind != Booking.Kind.BOOKING or booking.status != Booking.Status.CONFIRMED:
            raise ValidationError(
                {"booking": _("Only a confirmed booking of a maker can count for a project.")},
                code="not_a_booking",
            )
        other = ProjectBooking.objects.filter(booking=booking).select_related("project").first()
        if other is not None:
            raise ValidationError(
                {
                    "booking": _("This booking already counts for project %(reference)s.")
                    % {"reference": other.project.reference}
                },
                code="already_linked",
            )
        link = ProjectBooking.objects.create(project=project, booking=booking)
        link.project = _started(project, by)
    return link


def staff_time_record(
    *,
    project: Project,
    by: User,
    day: date,
    hours,
    hourly_rate=None,
    note: str = "",
) -> StaffTime:
    """Staff record hours they spent on the project, at the settings' rate unless they
    type another. 0 < hours <= 24, a day that is not in the future."""
    _ensure_project_staff(by, project, _("Only the project's staff may record their time."))
    errors: dict[str, str] = {}
    number = _decimal(hours)
    if number is None or number <= 0 or number > 24 or not _two_decimals(number):
        errors["hours"] = _("Enter the hours, above 0 and at most 24, such as 1.5.")
    if _blank(hourly_rate):
        rate = Decimal(str(settings.PROJECTS_STAFF_HOURLY_RATE))
    else:
        rate = _decimal(hourly_rate)
        if rate is None or rate < 0 or rate > Decimal("999999.99") or not _two_decimals(rate):
            errors["hourly_rate"] = _("Enter an hourly rate of 0 or more, such as 55.")
    if day is None or day > timezone.localdate():
        errors["day"] = _("Time is recorded for today or a day before.")
    note = (note or "").strip()
    if len(note) > 300:
        errors["note"] = _("Keep the note under 300 characters.")
    if errors:
        raise ValidationError(errors, code="invalid")
    with transaction.atomic():
        project = project_locked(project)
        if project.status not in STAFF_TIME_STATUSES:
            raise ValidationError(
                _("Staff time is recorded once the quote is accepted; this project is %(status)s.")
                % {"status": project.get_status_display().lower()},
                code="not_accepted",
            )
        return StaffTime.objects.create(
            project=project,
            staff=by,
            day=day,
            hours=number.quantize(CENT),
            hourly_rate=rate.quantize(CENT),
            note=note,
        )
