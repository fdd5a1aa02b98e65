"""Writes of the incubator. Each service checks who acts, works in one transaction and
sends its e-mails on commit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from fabreck.accounts.models import User
from fabreck.cluster.models import Commune, NaceClass, Organisation, OrganisationPerson
from fabreck.cluster.services import (
    OrganisationData,
    membership_decide,
    organisation_apply,
    organisation_incubated_set,
)
from fabreck.fablab.models import PriceGroup
from fabreck.fablab.services import organisation_price_group_set, prepaid_hours_grant
from fabreck.incubator.models import Application, Incubation, PhaseChange
from fabreck.incubator.selectors import user_manages_incubator

INCUBATED_PRICE_GROUP = "incubated-startup"


def _ensure_manager(user: User) -> None:
    if not user_manages_incubator(user=user):
        raise PermissionDenied(_("Only the incubator's managers may do this."))


def _free_slug(name: str) -> str:
    base = slugify(name)[:70] or "startup"
    slug, n = base, 2
    while Organisation.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _startup_organisation(application: Application) -> Organisation:
    """The accepted team's organisation: theirs if they applied with one, else a new
    member organisation of kind startup, owned by the applicant."""
    if application.organisation_id:
        organisation = application.organisation
        if organisation.kind != Organisation.Kind.STARTUP:
            Organisation.objects.filter(pk=organisation.pk).update(kind=Organisation.Kind.STARTUP)
            organisation.kind = Organisation.Kind.STARTUP
    else:
        primary = (
            NaceClass.objects.filter(nacesector__sector=application.sector, nacesector__link="core")
            .order_by("code")
            .first()
            or NaceClass.objects.order_by("code").first()
        )
        founders = application.founders.count() or 1
        organisation = organisation_apply(
            user=application.applicant,
            data=OrganisationData(
                name=application.startup_name,
                slug=_free_slug(application.startup_name),
                kind=Organisation.Kind.STARTUP,
                size_band="1" if founders == 1 else "2-9",
                headcount=founders,
                founded_year=timezone.localdate().year,
                commune=application.commune or Commune.objects.order_by("pk").first(),
                sectors=[application.sector],
                primary_nace=primary,
                competences=[],
                description_en=application.idea[:2000],
                email=application.applicant.email,
                # Accepted teams appear in the directory as incubated (the call says so).
                directory_consent=True,
            ),
        )
        Application.objects.filter(pk=application.pk).update(organisation=organisation)
        application.organisation = organisation
    # Founders with an account join the organisation; the applicant already owns it.
    for founder in application.founders.exclude(user=None).select_related("user"):
        OrganisationPerson.objects.get_or_create(
            organisation=organisation,
            user=founder.user,
            defaults={"role": OrganisationPerson.Role.ADMIN},
        )
    OrganisationPerson.objects.get_or_create(
        organisation=organisation,
        user=application.applicant,
        defaults={"role": OrganisationPerson.Role.OWNER},
    )
    return organisation


def incubation_start(
    *, application: Application, by: User, started_on: date | None = None
) -> Incubation:
    """Admit an accepted application's startup into its call's cohort: it becomes a member
    organisation of the cluster (kind startup, shown as incubated), pays the
    incubated-startup price at the FabLab, and receives its grant of prepaid machine hours.
    Called by the decision service when the manager accepts."""
    _ensure_manager(by)
    if application.status != Application.Status.ACCEPTED:
        raise ValidationError(_("Only an accepted application starts an incubation."))
    started_on = started_on or timezone.localdate()
    with transaction.atomic():
        existing = Incubation.objects.filter(application=application).first()
        if existing is not None:
            return existing
        organisation = _startup_organisation(application)
        if Incubation.objects.filter(organisation=organisation).exists():
            raise ValidationError(
                _("%(name)s is already incubated.") % {"name": organisation.name},
                code="already_incubated",
            )
        if organisation.status != Organisation.Status.MEMBER:
            membership_decide(
                organisation=organisation,
                status=Organisation.Status.MEMBER,
                by=by,
                reason=_("Admitted to the incubator."),
            )
        organisation_incubated_set(organisation=organisation, incubated=True)
        incubation = Incubation.objects.create(
            organisation=organisation,
            cohort=application.call.cohort,
            application=application,
            started_on=started_on,
            phase=Incubation.Phase.IDEA_VALIDATION,
            phase_since=started_on,
        )
        incubation.needed_competences.set(application.needed_competences.all())
        PhaseChange.objects.create(
            incubation=incubation,
            from_phase="",
            to_phase=Incubation.Phase.IDEA_VALIDATION,
            on=started_on,
            by=by,
        )
        group = PriceGroup.objects.filter(slug=INCUBATED_PRICE_GROUP).first()
        if group is not None:
            organisation_price_group_set(
                organisation=organisation, price_group=group, note=_("Incubated startup")
            )
        hours = Decimal(settings.INCUBATOR_PREPAID_HOURS)
        if hours > 0:
            prepaid_hours_grant(
                organisation=organisation,
                hours=hours,
                by=by,
                note=_("Incubator grant: %(cohort)s") % {"cohort": incubation.cohort.name},
            )
    return incubation


# --- kpis ---
import logging  # noqa: E402
from dataclasses import dataclass  # noqa: E402

from django.core.mail import EmailMessage  # noqa: E402
from django.db import IntegrityError  # noqa: E402
from django.template.loader import render_to_string  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import translation  # noqa: E402

from fabreck.core.mail import email_send_on_commit  # noqa: E402
from fabreck.incubator.models import KpiReminder, KpiUpdate, StartupStatus  # noqa: E402
from fabreck.incubator.selectors import (  # noqa: E402
    kpi_reminder_targets,
    quarter_first_day,
    quarter_last_day,
    quarter_last_finished,
    quarter_next,
    user_speaks_for_startup,
)

kpi_logger = logging.getLogger("fabreck.incubator.kpis")

# A reminder says "due" in the first days of a quarter and "late" from this day on.
KPI_LATE_AFTER_DAYS = 21


@dataclass(frozen=True)
class KpiFigures:
    headcount: int
    revenue: Decimal
    funds_raised: Decimal
    customers: int
    status: str = StartupStatus.ACTIVE
    note: str = ""


def _kpi_figures_check(figures: KpiFigures) -> None:
    errors: dict[str, str] = {}
    if figures.headcount is None or figures.headcount < 0:
        errors["headcount"] = _("The headcount cannot be negative.")
    if figures.revenue is None or figures.revenue < 0:
        errors["revenue"] = _("The revenue cannot be negative.")
    if figures.funds_raised is None or figures.funds_raised < 0:
        errors["funds_raised"] = _("The funds raised cannot be negative.")
    if figures.customers is None or figures.customers < 0:
        errors["customers"] = _("The number of customers cannot be negative.")
    if figures.status not in StartupStatus.values:
        errors["status"] = _("Choose active, acquired or closed.")
    for name, limit in (("revenue", Decimal("1e12")), ("funds_raised", Decimal("1e12"))):
        value = getattr(figures, name)
        if name not in errors and value is not None and value >= limit:
            errors[name] = _("This amount is too large.")
    if figures.headcount is not None and figures.headcount > 1_000_000:
        errors["headcount"] = _("This headcount is too large.")
    if figures.customers is not None and figures.customers > 1_000_000_000:
        errors["customers"] = _("This number of customers is too large.")
    if errors:
        raise ValidationError(errors)


def kpi_update_submit(
    *,
    incubation: Incubation,
    by: User,
    figures: KpiFigures,
    year: int | None = None,
    quarter: int | None = None,
    today: date | None = None,
) -> tuple[KpiUpdate, bool]:
    """A startup's figures for a finished quarter (the last one unless told), by its people
    or a manager. Sent again for the same quarter, they correct it (one update per
    quarter). Startups that left keep reporting. Returns (update, created)."""
    if not (
        user_manages_incubator(user=by) or user_speaks_for_startup(user=by, incubation=incubation)
    ):
        raise PermissionDenied(
            _("Only the startup's people and the incubator's managers may do this.")
        )
    today = today or timezone.localdate()
    if year is None or quarter is None:
        year, quarter = quarter_last_finished(today)
    if quarter not in (1, 2, 3, 4) or not 2000 <= year <= 2100:
        raise ValidationError({"quarter": _("Choose a quarter from 1 to 4 of a valid year.")})
    if quarter_last_day(year, quarter) >= today:
        raise ValidationError(
            {"quarter": _("This quarter has not ended yet: report it once it is over.")}
        )
    if quarter_last_day(year, quarter) < incubation.started_on:
        raise ValidationError(
            {
                "quarter": _("This quarter ended before the incubation started on %(day)s.")
                % {"day": incubation.started_on.isoformat()}
            }
        )
    _kpi_figures_check(figures)
    values = {
        "headcount": figures.headcount,
        "revenue": figures.revenue,
        "funds_raised": figures.funds_raised,
        "customers": figures.customers,
        "status": figures.status,
        "note": figures.note.strip(),
        "submitted_by": by,
    }
    with transaction.atomic():
        existing = (
            KpiUpdate.objects.select_for_update()
            .filter(incubation=incubation, year=year, quarter=quarter)
            .first()
        )
        if existing is None:
            try:
                with transaction.atomic():
                    update = KpiUpdate.objects.create(
                        incubation=incubation, year=year, quarter=quarter, **values
                    )
                return update, True
            except IntegrityError:
                # Someone else reported the same quarter a moment ago: correct it.
                existing = KpiUpdate.objects.select_for_update().get(
                    incubation=incubation, year=year, quarter=quarter
                )
        for name, value in values.items():
            setattr(existing, name, value)
        existing.save()
    return existing, False


def _kpi_reminder_mail(*, incubation: Incubation, year: int, quarter: int, kind: str) -> int:
    """The reminder to each of the startup's people, in their language. Returns how many."""
    url = settings.SITE_URL + reverse("incubator:kpis-update") + f"?startup={incubation.pk}"
    sent = 0
    people = incubation.organisation.memberships.select_related("user").order_by("pk")
    for person in people:
        user = person.user
        if not user.is_active or not user.email:
            continue
        with translation.override(user.preferred_language or "en"):
            text = render_to_string(
                f"incubator/email/kpis_reminder_{kind}.txt",
                {
                    "recipient": user,
                    "startup": incubation.organisation,
                    "year": year,
                    "quarter": quarter,
                    "url": url,
                },
            )
            subject, _blank, body = text.strip().partition("\n")
            subject = _("[Fabreck] %(subject)s") % {"subject": subject.strip()}
        email_send_on_commit(EmailMessage(subject=subject, body=body.lstrip(), to=[user.email]))
        sent += 1
    return sent


def kpi_reminders_send(*, today: date | None = None) -> int:
    """Ask the startups that have not reported the last quarter for their update: "due" in
    the first days of the quarter, "late" from KPI_LATE_AFTER_DAYS days on. Each reminder
    goes once per startup, quarter and kind (the KpiReminder row, unique, is written before
    the e-mails: overlapping runs send it once). Returns the number of startups reminded."""
    today = today or timezone.localdate()
    year, quarter = quarter_last_finished(today)
    days_in = (today - quarter_first_day(*quarter_next(year, quarter))).days
    kind = KpiReminder.Kind.LATE if days_in >= KPI_LATE_AFTER_DAYS else KpiReminder.Kind.DUE
    reminded = 0
    for incubation in kpi_reminder_targets(today=today):
        try:
            with transaction.atomic():
                KpiReminder.objects.create(
                    incubation=incubation, year=year, quarter=quarter, kind=kind
                )
                _kpi_reminder_mail(incubation=incubation, year=year, quarter=quarter, kind=kind)
        except IntegrityError:
            continue  # already reminded (by this run's twin)
        reminded += 1
    kpi_logger.info("KPI reminders (%s) for %s Q%s: %s startups", kind, year, quarter, reminded)
    return reminded
