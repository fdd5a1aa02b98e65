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
