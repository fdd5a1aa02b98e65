"""Panels of the project page owned by the quotes and execution capability: the quote
versions (with the requester's answer) and the work done, actual versus quoted."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.template.defaultfilters import floatformat
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from fabreck.projects import selectors
from fabreck.projects.models import QuoteStatus

register = template.Library()

HUNDREDTH = Decimal("0.01")
EXECUTION_VISIBLE = ("accepted", "in_progress", "delivered", "closed")
STAFF_TIME_STATUSES = ("accepted", "in_progress", "delivered")


@register.filter
def money(value) -> str:
    """An amount in euros, in the reader's way: 1,234.50 € / 1 234,50 €."""
    if value is None or value == "":
        return ""
    return f"{floatformat(value, '2g')}\xa0€"


@register.filter
def signed_money(value) -> str:
    """A difference: +120.00 € over, -80.00 € under, 0.00 € on the mark."""
    if value is None:
        return ""
    value = Decimal(value)
    if value > 0:
        return f"+{money(value)}"
    if value < 0:
        return f"\u2212{money(-value)}"
    return money(value)


@register.filter
def hours(value) -> str:
    """Hours to the hundredth, as the costs table rounds them (half up): 5, 1.50, 0.13;
    a few seconds read 0 there and on the booking alike."""
    if value is None:
        return ""
    try:
        value = Decimal(str(value)).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)
    except ArithmeticError:
        pass
    return floatformat(value, "-2")


@register.filter
def line_label(line) -> str:
    return selectors.quote_line_label(line)


def _roles(context, project, user) -> tuple[bool, bool]:
    """Who reads the page: the project page's view knows already; asked otherwise."""
    is_staff = context.get("is_staff")
    speaks_for = context.get("speaks_for")
    if is_staff is None:
        is_staff = selectors.user_is_project_staff(user=user, project=project)
    if speaks_for is None:
        speaks_for = selectors.user_speaks_for_project(user=user, project=project)
    return bool(is_staff), bool(speaks_for)


@register.simple_tag(takes_context=True)
def quotes_panel(context, project, user) -> str:
    is_staff, speaks_for = _roles(context, project, user)
    quotes = selectors.quotes_of(project=project)
    current = quotes[0] if quotes and quotes[0].status == QuoteStatus.SENT else None
    return SafeString(
        render_to_string(
            "projects/_quotes_panel.html",
            {
                "project": project,
                "quotes": quotes,
                "current": current,
                "is_staff": is_staff,
                "speaks_for": speaks_for,
                "may_answer": speaks_for and current is not None and project.status == "quoted",
                "expired": current is not None
                and current.valid_until is not None
                and current.valid_until < timezone.localdate(),
                "may_quote": is_staff
                and project.status in ("requested", "quoted")
                and project.site_id is not None
                and project.lead_id is not None,
            },
            request=context.get("request"),
        )
    )


@register.simple_tag(takes_context=True)
def execution_panel(context, project, user) -> str:
    is_staff, _speaks_for = _roles(context, project, user)
    costs = selectors.project_costs(project=project)
    if project.status not in EXECUTION_VISIBLE and not costs.has_any:
        return ""
    bookings = selectors.project_bookings(project=project)
    return SafeString(
        render_to_string(
            "projects/_execution_panel.html",
            {
                "project": project,
                "costs": costs,
                "bookings": [
                    (link.booking, selectors.booking_hours(link.booking)) for link in bookings
                ],
                "staff_times": selectors.staff_times_of(project=project) if is_staff else [],
                "is_staff": is_staff,
                "may_book": is_staff and project.status in ("accepted", "in_progress"),
                "may_record_time": is_staff and project.status in STAFF_TIME_STATUSES,
            },
            request=context.get("request"),
        )
    )
