"""Every write of the cluster: applications, membership decisions, search text."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from fabreck.accounts.models import User
from fabreck.cluster.models import (
    ORGANISATION_PROFILE_FIELDS,
    Commune,
    Competence,
    NaceClass,
    Organisation,
    OrganisationInvitation,
    OrganisationNace,
    OrganisationPerson,
    PortfolioItem,
    Sector,
    competence_search_token,
)
from fabreck.core.i18n import LANGUAGE_CODES
from fabreck.core.mail import email_send_on_commit
from fabreck.core.text import search_normalize

Status = Organisation.Status

# Which membership decisions may follow which status.
TRANSITIONS: dict[str, set[str]] = {
    Status.APPLIED: {Status.UNDER_REVIEW, Status.MEMBER, Status.REFUSED},
    Status.UNDER_REVIEW: {Status.MEMBER, Status.REFUSED},
    Status.MEMBER: {Status.SUSPENDED, Status.LAPSED},
    Status.SUSPENDED: {Status.MEMBER, Status.LAPSED},
    Status.LAPSED: {Status.MEMBER},
    Status.REFUSED: {Status.UNDER_REVIEW},
}
REASON_REQUIRED = {Status.REFUSED, Status.SUSPENDED}


MANAGING_ROLES = (OrganisationPerson.Role.OWNER, OrganisationPerson.Role.ADMIN)


def _ensure_manages(*, organisation: Organisation, user: User) -> None:
    if not organisation.memberships.filter(user=user, role__in=MANAGING_ROLES).exists():
        raise PermissionDenied(_("Only the organisation's owners and admins may do this."))


def organisation_search_text_refresh(*, organisation: Organisation) -> None:
    """Rebuild the normalised search columns from the organisation and its competences."""
    competence_ids = organisation.competences.values_list("pk", flat=True)
    organisation.search_name = search_normalize(organisation.name)
    # A trailing space after each token lets SQLite match "cmp12 " without matching "cmp123".
    organisation.search_competences = "".join(
        f"{competence_search_token(pk)} " for pk in sorted(competence_ids)
    )
    organisation.search_keywords = search_normalize(organisation.keywords)
    organisation.search_description = search_normalize(
        " ".join(getattr(organisation, f"description_{code}") for code in LANGUAGE_CODES)
    )
    organisation.save(
        update_fields=["search_name", "search_competences", "search_keywords", "search_description"]
    )


@dataclass(frozen=True)
class OrganisationData:
    """What an applicant tells about their organisation."""

    name: str
    kind: str
    size_band: str
    commune: Commune
    sectors: Iterable[Sector]
    primary_nace: NaceClass
    secondary_nace: Iterable[NaceClass] = ()
    competences: Iterable[Competence] = ()
    slug: str = ""
    legal_form: str = ""
    headcount: int | None = None
    founded_year: int | None = None
    street: str = ""
    postcode: str = ""
    locality: str = ""
    email: str = ""
    phone: str = ""
    website: str = ""
    linkedin: str = ""
    instagram: str = ""
    facebook: str = ""
    logo: UploadedFile | None = None
    description_en: str = ""
    description_fr: str = ""
    description_de: str = ""
    keywords: str = ""
    directory_consent: bool = False
    show_email: bool = False
    show_phone: bool = False
    show_address: bool = True


def organisation_apply(*, user: User, data: OrganisationData) -> Organisation:
    """A user applies for membership with a new organisation, of which they become owner."""
    slug = data.slug or slugify(data.name)[:80]
    if not slug:
        raise ValidationError({"name": _("Give the organisation a name with letters or digits.")})
    if Organisation.objects.filter(slug=slug).exists():
        raise ValidationError(
            {"slug": _("The address “%(slug)s” is already taken.") % {"slug": slug}}
        )
    fields = {name: getattr(data, name) for name in ORGANISATION_PROFILE_FIELDS}
    organisation = Organisation(slug=slug, status=Status.APPLIED, **fields)
    organisation.full_clean(exclude=["sectors", "competences", "logo"])
    try:
        with transaction.atomic():
            if data.logo:
                organisation.logo.save(
                    f"{slug}{Path(data.logo.name).suffix}", data.logo, save=False
                )
            organisation.save()
            organisation.sectors.set(data.sectors)
            organisation.competences.set(data.competences)
            _nace_set(organisation, primary=data.primary_nace, secondary=data.secondary_nace)
            OrganisationPerson.objects.create(
                organisation=organisation, user=user, role=OrganisationPerson.Role.OWNER
            )
            organisation_search_text_refresh(organisation=organisation)
    except IntegrityError as error:  # two applicants raced for the same slug
        raise ValidationError(
            {"slug": _("The address “%(slug)s” is already taken.") % {"slug": slug}}
        ) from error
    return organisation


def _nace_set(
    organisation: Organisation, *, primary: NaceClass, secondary: Iterable[NaceClass]
) -> None:
    OrganisationNace.objects.filter(organisation=organisation).delete()
    rows = [OrganisationNace(organisation=organisation, nace_class=primary, is_primary=True)]
    rows += [
        OrganisationNace(organisation=organisation, nace_class=nace)
        for nace in dict.fromkeys(secondary)
        if nace.pk != primary.pk
    ]
    OrganisationNace.objects.bulk_create(rows)


def membership_decide(
    *, organisation: Organisation, status: str, by: User, reason: str = ""
) -> Organisation:
    """Move an organisation's membership to `status`; its admins are told by e-mail."""
    reason = reason.strip()
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
        if status not in TRANSITIONS.get(organisation.status, set()):
            raise ValidationError(
                _("An organisation that is “%(current)s” cannot become “%(target)s”.")
                % {
                    "current": organisation.get_status_display(),
                    "target": Status(status).label if status in Status.values else status,
                }
            )
        if status in REASON_REQUIRED and not reason:
            raise ValidationError({"reason": _("Give a reason: it is sent to the organisation.")})
        organisation.status = status
        organisation.status_reason = reason
        organisation.status_changed_at = timezone.now()
        if status == Status.MEMBER and organisation.member_since is None:
            organisation.member_since = timezone.localdate()
        organisation.save(
            update_fields=[
                "status",
                "status_reason",
                "status_changed_at",
                "member_since",
                "updated_at",
            ]
        )
        _membership_mail(organisation=organisation, decided_by=by)
    return organisation


def _membership_mail(*, organisation: Organisation, decided_by: User) -> None:
    managers = User.objects.filter(
        organisation_memberships__organisation=organisation,
        organisation_memberships__role__in=[
            OrganisationPerson.Role.OWNER,
            OrganisationPerson.Role.ADMIN,
        ],
        is_active=True,
    )
    for manager in managers:
        # Each person reads the decision in their own language.
        with translation.override(manager.preferred_language):
            context = {
                "organisation": organisation,
                "recipient": manager,
                "status": organisation.get_status_display(),
                "profile_url": settings.SITE_URL
                + reverse("cluster:profile", args=[organisation.slug]),
            }
            subject = _("[Fabreck] Membership of %(name)s: %(status)s") % {
                "name": organisation.name,
                "status": organisation.get_status_display(),
            }
            body = render_to_string("cluster/email/membership_decision.txt", context)
        email_send_on_commit(EmailMessage(subject=subject, body=body, to=[manager.email]))


def organisation_delete(*, organisation: Organisation, by: User, confirmation: str) -> None:
    """An owner or admin deletes the organisation, after typing its name to confirm."""
    if confirmation.strip() != organisation.name:
        raise ValidationError(
            {"confirmation": _("Type the exact name of the organisation to confirm.")}
        )
    _ensure_manages(organisation=organisation, user=by)
    with transaction.atomic():
        organisation.delete()


# --- Editing a profile --------------------------------------------------------------


def organisation_update(
    *, organisation: Organisation, by: User, data: OrganisationData
) -> Organisation:
    """Its owners and admins rewrite the organisation's profile; membership is untouched."""
    _ensure_manages(organisation=organisation, user=by)
    slug = data.slug or organisation.slug
    if slug != organisation.slug and Organisation.objects.filter(slug=slug).exists():
        raise ValidationError(
            {"slug": _("The address “%(slug)s” is already taken.") % {"slug": slug}}
        )
    for name in ORGANISATION_PROFILE_FIELDS:
        setattr(organisation, name, getattr(data, name))
    organisation.slug = slug
    organisation.full_clean(exclude=["sectors", "competences", "logo"])
    try:
        with transaction.atomic():
            if data.logo:
                old_logo = organisation.logo.name
                organisation.logo.save(
                    f"{slug}{Path(data.logo.name).suffix}", data.logo, save=False
                )
                if old_logo:
                    transaction.on_commit(lambda: organisation.logo.storage.delete(old_logo))
            organisation.save()
            organisation.sectors.set(data.sectors)
            organisation.competences.set(data.competences)
            _nace_set(organisation, primary=data.primary_nace, secondary=data.secondary_nace)
            organisation_search_text_refresh(organisation=organisation)
    except IntegrityError as error:  # someone took the slug meanwhile
        raise ValidationError(
            {"slug": _("The address “%(slug)s” is already taken.") % {"slug": slug}}
        ) from error
    return organisation


# --- People: invitations, roles, leaving ----------------------------------------------

INVITATION_VALID_DAYS = 14
Role = OrganisationPerson.Role


def _invitation_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def person_invite(
    *, organisation: Organisation, by: User, email: str, role: str
) -> tuple[OrganisationInvitation, str]:
    """Invite someone by e-mail to join the organisation; returns the invitation and its
    secret (only sent by e-mail, never stored)."""
    _ensure_manages(organisation=organisation, user=by)
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid e-mail address.")}) from None
    if role not in (Role.ADMIN, Role.MEMBER):
        raise ValidationError({"role": _("Invite people as admin or member.")})
    if role == Role.ADMIN and not _is_owner(organisation, by):
        raise ValidationError({"role": _("Only owners may invite admins.")})
    if organisation.memberships.filter(user__email__iexact=email).exists():
        raise ValidationError(
            {"email": _("%(email)s already belongs to this organisation.") % {"email": email}}
        )
    now = timezone.now()
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        # An expired invitation no longer blocks a new one.
        OrganisationInvitation.objects.filter(
            organisation=organisation, email=email, accepted_at=None, revoked_at=None,
            expires_at__lte=now,
        ).update(revoked_at=now)  # fmt: skip
        if OrganisationInvitation.objects.filter(
            organisation=organisation, email=email, accepted_at=None, revoked_at=None
        ).exists():
            raise ValidationError(
                {"email": _("%(email)s has already been invited.") % {"email": email}}
            )
        try:
            with transaction.atomic():
                invitation = OrganisationInvitation.objects.create(
                    organisation=organisation,
                    email=email,
                    role=role,
                    digest=_invitation_digest(secret),
                    invited_by=by,
                    expires_at=now + timedelta(days=INVITATION_VALID_DAYS),
                )
        except IntegrityError as error:  # a second click raced the first
            raise ValidationError(
                {"email": _("%(email)s has already been invited.") % {"email": email}}
            ) from error
        _invitation_mail(invitation=invitation, secret=secret)
    return invitation, secret


def _is_owner(organisation: Organisation, user: User) -> bool:
    return organisation.memberships.filter(user=user, role=Role.OWNER).exists()


def _invitation_mail(*, invitation: OrganisationInvitation, secret: str) -> None:
    # Someone who already has an account reads it in their language; others in the
    # inviter's, the best guess for a colleague.
    invitee = User.objects.filter(email__iexact=invitation.email).first()
    language = (invitee or invitation.invited_by).preferred_language
    with translation.override(language):
        context = {
            "invitation": invitation,
            "organisation": invitation.organisation,
            "inviter": invitation.invited_by,
            "role": invitation.get_role_display(),
            "accept_url": settings.SITE_URL + reverse("cluster:invitation", args=[secret]),
            "days": INVITATION_VALID_DAYS,
        }
        subject = _("[Fabreck] Join %(name)s on Fabreck") % {"name": invitation.organisation.name}
        body = render_to_string("cluster/email/invitation.txt", context)
    email_send_on_commit(EmailMessage(subject=subject, body=body, to=[invitation.email]))


def invitation_find(*, secret: str) -> OrganisationInvitation:
    """The pending invitation of a secret link, or a clear message why it is not usable."""
    invitation = (
        OrganisationInvitation.objects.select_related("organisation", "invited_by")
        .filter(digest=_invitation_digest(secret))
        .first()
    )
    if invitation is None:
        raise ValidationError(_("This invitation link is not valid."))
    if invitation.accepted_at:
        raise ValidationError(_("This invitation has already been accepted."))
    if invitation.revoked_at:
        raise ValidationError(_("This invitation has been withdrawn."))
    if invitation.expires_at <= timezone.now():
        raise ValidationError(_("This invitation has expired. Ask for a new one."))
    return invitation


def invitation_accept(*, secret: str, user: User) -> OrganisationPerson:
    """The invited person joins with the role they were invited to."""
    with transaction.atomic():
        invitation = invitation_find(secret=secret)
        invitation = OrganisationInvitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at or invitation.revoked_at:
            raise ValidationError(_("This invitation has already been used."))
        if invitation.email != user.email.lower():
            raise ValidationError(
                _("This invitation was sent to %(email)s. Sign in with that address to accept it.")
                % {"email": invitation.email}
            )
        person, _created = OrganisationPerson.objects.get_or_create(
            organisation=invitation.organisation, user=user, defaults={"role": invitation.role}
        )
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
    return person


def invitation_revoke(*, invitation: OrganisationInvitation, by: User) -> None:
    _ensure_manages(organisation=invitation.organisation, user=by)
    OrganisationInvitation.objects.filter(
        pk=invitation.pk, accepted_at=None, revoked_at=None
    ).update(revoked_at=timezone.now())


def person_role_change(*, person: OrganisationPerson, by: User, role: str) -> OrganisationPerson:
    """Owners change anyone's role; admins only between admin and member. An organisation
    always keeps at least one owner."""
    organisation = person.organisation
    _ensure_manages(organisation=organisation, user=by)
    if role not in Role.values:
        raise ValidationError({"role": _("Choose owner, admin or member.")})
    touches_owner = Role.OWNER in (role, person.role)
    if touches_owner and not _is_owner(organisation, by):
        raise ValidationError(_("Only owners may give or take the owner role."))
    with transaction.atomic():
        _lock_people(organisation)
        person.refresh_from_db()
        if person.role == Role.OWNER and role != Role.OWNER:
            _ensure_another_owner(person)
        person.role = role
        person.save(update_fields=["role"])
    return person


def person_remove(*, person: OrganisationPerson, by: User) -> None:
    """Managers remove people; anyone may leave. The last owner cannot go."""
    organisation = person.organisation
    if person.user_id != by.pk:
        _ensure_manages(organisation=organisation, user=by)
        if person.role == Role.OWNER and not _is_owner(organisation, by):
            raise ValidationError(_("Only owners may remove an owner."))
    with transaction.atomic():
        _lock_people(organisation)
        if not OrganisationPerson.objects.filter(pk=person.pk).exists():
            return
        if person.role == Role.OWNER:
            _ensure_another_owner(person)
        person.delete()


def _lock_people(organisation: Organisation) -> None:
    # Two owners demoting each other at once must not leave the organisation ownerless.
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()


def _ensure_another_owner(person: OrganisationPerson) -> None:
    others = OrganisationPerson.objects.filter(
        organisation_id=person.organisation_id, role=Role.OWNER
    ).exclude(pk=person.pk)
    if not others.exists():
        raise ValidationError(
            _("An organisation needs at least one owner: make someone else owner first.")
        )


# --- Portfolio ------------------------------------------------------------------------

PORTFOLIO_MAX_ITEMS = 30


def portfolio_item_add(
    *,
    organisation: Organisation,
    by: User,
    title: str,
    image: UploadedFile | None = None,
    link: str = "",
    year: int | None = None,
) -> PortfolioItem:
    _ensure_manages(organisation=organisation, user=by)
    with transaction.atomic():
        _lock_people(organisation)
        count = organisation.portfolio_items.count()
        if count >= PORTFOLIO_MAX_ITEMS:
            raise ValidationError(
                _("A portfolio holds at most %(n)d items: remove one first.")
                % {"n": PORTFOLIO_MAX_ITEMS}
            )
        item = PortfolioItem(
            organisation=organisation, title=title.strip(), link=link, year=year, position=count
        )
        item.full_clean(exclude=["image"])
        if image:
            item.image.save(f"{organisation.slug}{Path(image.name).suffix}", image, save=False)
        item.save()
    return item


def portfolio_item_delete(*, item: PortfolioItem, by: User) -> None:
    _ensure_manages(organisation=item.organisation, user=by)
    image = item.image.name
    with transaction.atomic():
        item.delete()
        if image:
            transaction.on_commit(lambda: item.image.storage.delete(image))
