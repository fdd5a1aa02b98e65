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


# --- Collaboration requests (issue 3, item 6) -------------------------------------------
# Imports of this section stay here so that the section merges as one block.
from datetime import date  # noqa: E402

from django.core.exceptions import NON_FIELD_ERRORS  # noqa: E402
from django.db.models import Count, Q  # noqa: E402
from django.utils.translation import ngettext  # noqa: E402

from fabreck.cluster.matchmaking import matches_for_competences  # noqa: E402
from fabreck.cluster.models import CollaborationMessage, CollaborationRequest  # noqa: E402

COLLABORATION_TEXT_MAX = 5000  # characters of a description or of a message
# (messages, seconds): at most 5 relayed messages per sender in 10 minutes and 30 in a
# day. Settings may override them with CLUSTER_RELAY_LIMITS.
RELAY_LIMITS_DEFAULT: tuple[tuple[int, int], ...] = ((5, 10 * 60), (30, 24 * 3600))


@dataclass(frozen=True)
class CollaborationRequestData:
    """What a member tells about what they seek or offer."""

    kind: str
    title: str
    description: str = ""
    competences: Iterable[Competence] = ()
    deadline: date | None = None


def _is_person_of(user: User, organisation: Organisation) -> bool:
    return (
        bool(getattr(user, "is_authenticated", False))
        and OrganisationPerson.objects.filter(organisation=organisation, user=user).exists()
    )


def _collaboration_data_check(
    data: CollaborationRequestData, *, previous_deadline: date | None = None
) -> tuple[str, str, list[Competence]]:
    """The cleaned title, description and competences; a ValidationError naming every
    field that is wrong otherwise."""
    errors: dict[str, list[str]] = {}
    title = " ".join((data.title or "").split())  # one line: it becomes an e-mail subject
    description = (data.description or "").strip()
    competences = list(dict.fromkeys(data.competences))
    if data.kind not in CollaborationRequest.Kind.values:
        errors["kind"] = [_("Say whether you seek or offer something.")]
    if not title:
        errors["title"] = [_("Give the request a title.")]
    elif len(title) > 200:
        errors["title"] = [_("The title is too long: at most 200 characters.")]
    if len(description) > COLLABORATION_TEXT_MAX:
        errors["description"] = [
            _("The description is too long: at most %(max)s characters (it has %(count)s).")
            % {"max": COLLABORATION_TEXT_MAX, "count": len(description)}
        ]
    # A deadline already past when the request was posted may stay; a new one may not.
    if (
        data.deadline is not None
        and data.deadline < timezone.localdate()
        and data.deadline != previous_deadline
    ):
        errors["deadline"] = [_("The deadline is in the past: choose today or a later date.")]
    if not competences and not description:
        errors[NON_FIELD_ERRORS] = [
            _("Name at least one competence or describe what you seek or offer.")
        ]
    if errors:
        raise ValidationError(errors)
    return title, description, competences


def _collaboration_search_text(title: str, description: str) -> str:
    return search_normalize(f"{title} {description}")


def collaboration_request_post(
    *, user: User, organisation: Organisation, data: CollaborationRequestData
) -> CollaborationRequest:
    """A person of a member organisation posts what the organisation seeks or offers."""
    if organisation.status != Status.MEMBER or not _is_person_of(user, organisation):
        raise ValidationError(
            {
                "organisation": _(
                    "Only people of a member organisation can post a collaboration request for it."
                )
            }
        )
    title, description, competences = _collaboration_data_check(data)
    with transaction.atomic():
        request = CollaborationRequest.objects.create(
            organisation=organisation,
            author=user,
            kind=data.kind,
            title=title,
            description=description,
            deadline=data.deadline,
            search_text=_collaboration_search_text(title, description),
        )
        request.competences.set(competences)
    return request


def _collaboration_editor_check(user: User, request: CollaborationRequest) -> None:
    if not _is_person_of(user, request.organisation):
        raise PermissionDenied(
            _("Only the people of %(name)s can change this request.")
            % {"name": request.organisation.name}
        )


def collaboration_request_update(
    *, request: CollaborationRequest, user: User, data: CollaborationRequestData
) -> CollaborationRequest:
    """The request's organisation changes what it seeks or offers."""
    _collaboration_editor_check(user, request)
    if request.organisation.status != Status.MEMBER:
        raise ValidationError(_("Only a member organisation can change its requests."))
    title, description, competences = _collaboration_data_check(
        data, previous_deadline=request.deadline
    )
    with transaction.atomic():
        request = CollaborationRequest.objects.select_for_update().get(pk=request.pk)
        request.kind = data.kind
        request.title = title
        request.description = description
        request.deadline = data.deadline
        request.search_text = _collaboration_search_text(title, description)
        request.save(
            update_fields=["kind", "title", "description", "deadline", "search_text", "updated_at"]
        )
        request.competences.set(competences)
    return request


def collaboration_request_close(
    *, request: CollaborationRequest, user: User
) -> CollaborationRequest:
    """No new conversation starts on a closed request; running ones may go on."""
    _collaboration_editor_check(user, request)
    with transaction.atomic():
        request = CollaborationRequest.objects.select_for_update().get(pk=request.pk)
        if request.status == CollaborationRequest.Status.CLOSED:
            raise ValidationError(_("This request is already closed."))
        request.status = CollaborationRequest.Status.CLOSED
        request.closed_at = timezone.now()
        request.save(update_fields=["status", "closed_at", "updated_at"])
    return request


def collaboration_request_reopen(
    *, request: CollaborationRequest, user: User
) -> CollaborationRequest:
    _collaboration_editor_check(user, request)
    if request.organisation.status != Status.MEMBER:
        raise ValidationError(_("Only a member organisation can reopen its requests."))
    with transaction.atomic():
        request = CollaborationRequest.objects.select_for_update().get(pk=request.pk)
        if request.status == CollaborationRequest.Status.OPEN:
            raise ValidationError(_("This request is already open."))
        if request.deadline is not None and request.deadline < timezone.localdate():
            raise ValidationError(
                {"deadline": _("The deadline has passed: set a new one before reopening.")}
            )
        request.status = CollaborationRequest.Status.OPEN
        request.closed_at = None
        request.save(update_fields=["status", "closed_at", "updated_at"])
    return request


def relay_limits() -> tuple[tuple[int, int], ...]:
    """(messages, seconds) windows a sender must stay within."""
    return tuple(
        (int(n), int(seconds))
        for n, seconds in getattr(settings, "CLUSTER_RELAY_LIMITS", RELAY_LIMITS_DEFAULT)
    )


def _period_label(seconds: int) -> str:
    if seconds % 3600:
        minutes = max(1, seconds // 60)
        return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    hours = seconds // 3600
    return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}


def _sender_lock(user: User) -> None:
    """Serialise the messages of one sender: the rate limit counts what is stored, so two
    messages sent at once must not both count before either is written. Held until the
    transaction ends. (SQLite serialises writers at BEGIN IMMEDIATE already.)"""
    list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))


def _relay_limit_check(sender: User) -> None:
    limits = relay_limits()
    if not limits:
        return
    now = timezone.now()
    counts = CollaborationMessage.objects.filter(
        sender=sender, created_at__gte=now - timedelta(seconds=max(s for _n, s in limits))
    ).aggregate(
        **{
            f"w{i}": Count("pk", filter=Q(created_at__gte=now - timedelta(seconds=seconds)))
            for i, (_n, seconds) in enumerate(limits)
        }
    )
    for i, (limit, seconds) in enumerate(limits):
        if counts[f"w{i}"] >= limit:
            raise ValidationError(
                _(
                    "You have reached the limit of %(limit)s messages in %(period)s. "
                    "Nothing was sent: please try again later."
                )
                % {"limit": limit, "period": _period_label(seconds)},
                code="rate_limited",
            )


def _collaboration_counterpart(
    request: CollaborationRequest, sender_organisation: Organisation, recipient: Organisation
) -> Organisation:
    """The organisation of a conversation that is not the request's."""
    return recipient if sender_organisation.pk == request.organisation_id else sender_organisation


def collaboration_message_send(
    *,
    sender: User,
    sender_organisation: Organisation,
    request: CollaborationRequest,
    recipient_organisation: Organisation,
    body: str,
    parent: CollaborationMessage | None = None,
) -> CollaborationMessage:
    """A member writes to another organisation about a request; the message is stored and
    relayed by e-mail to the recipient's people, who answer on the platform. No e-mail
    address is shown to either side. Rate-limited per sender, counted from stored messages
    under a lock on the sender, so a flood stores nothing beyond the limit."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write a message.")})
    if len(body) > COLLABORATION_TEXT_MAX:
        raise ValidationError(
            {
                "body": _("The message is too long: at most %(max)s characters (it has %(count)s).")
                % {"max": COLLABORATION_TEXT_MAX, "count": len(body)}
            }
        )
    if sender_organisation.pk == recipient_organisation.pk:
        raise ValidationError(_("You cannot send a message to your own organisation."))
    if not _is_person_of(sender, sender_organisation):
        raise PermissionDenied(_("You can only write on behalf of an organisation you belong to."))
    if sender_organisation.status != Status.MEMBER:
        raise ValidationError(
            _("Only member organisations can write about collaboration requests.")
        )
    if recipient_organisation.status != Status.MEMBER:
        raise ValidationError(
            {"recipient_organisation": _("This organisation is not a member of the cluster.")}
        )
    if request.organisation_id not in {sender_organisation.pk, recipient_organisation.pk}:
        raise ValidationError(
            _("A conversation about a request is always with the organisation that posted it.")
        )
    counterpart = _collaboration_counterpart(request, sender_organisation, recipient_organisation)
    thread = CollaborationMessage.objects.filter(request=request).filter(
        Q(sender_organisation=counterpart) | Q(recipient_organisation=counterpart)
    )
    if not thread.exists():
        still_open = CollaborationRequest.objects.filter(
            pk=request.pk, status=CollaborationRequest.Status.OPEN
        ).exists()
        if not still_open:
            raise ValidationError(_("This request is closed: it takes no new conversations."))
        if sender_organisation.pk == request.organisation_id:
            matching = matches_for_competences(
                competence_ids=list(request.competences.values_list("pk", flat=True)),
                exclude=request.organisation,
            )
            if recipient_organisation.pk not in {m.organisation.pk for m in matching}:
                raise ValidationError(
                    {
                        "recipient_organisation": _(
                            "You can contact the organisations that match your request, and "
                            "answer those who wrote to you."
                        )
                    }
                )
    if parent is not None and not (
        parent.request_id == request.pk
        and parent.sender_organisation_id == recipient_organisation.pk
        and parent.recipient_organisation_id == sender_organisation.pk
    ):
        raise ValidationError({"parent": _("You can only answer a message of this conversation.")})
    with transaction.atomic():
        _sender_lock(sender)
        _relay_limit_check(sender)
        message = CollaborationMessage.objects.create(
            request=request,
            sender=sender,
            sender_organisation=sender_organisation,
            recipient_organisation=recipient_organisation,
            parent=parent,
            body=body,
        )
        _collaboration_relay(message=message, counterpart=counterpart)
    return message


def _name_without_address(user: User | None) -> str:
    """A person's name as others may read it: never their e-mail address."""
    if user is None:
        return ""
    return f"{user.first_name} {user.last_name}".strip()


def _collaboration_relay(*, message: CollaborationMessage, counterpart: Organisation) -> None:
    """E-mail the message to the recipient organisation's owners and admins, and to its
    people who took part in the conversation, each in their language. From the platform's
    address, with no Reply-To: answers go through the platform."""
    recipient = message.recipient_organisation
    request = message.request
    participants = CollaborationMessage.objects.filter(
        request=request,
        sender_organisation=recipient,
        recipient_organisation=message.sender_organisation,
    ).values("sender")
    # One filter() call, so that the organisation and the role are those of one membership.
    people = (
        User.objects.filter(
            Q(organisation_memberships__organisation=recipient)
            & (
                Q(
                    organisation_memberships__role__in=[
                        OrganisationPerson.Role.OWNER,
                        OrganisationPerson.Role.ADMIN,
                    ]
                )
                | Q(pk__in=participants)
            ),
            is_active=True,
        )
        .exclude(pk=message.sender_id)
        .distinct()
        .order_by("pk")
    )
    url = settings.SITE_URL + reverse(
        "cluster:collaboration-conversation", args=[request.pk, counterpart.slug]
    )
    for person in people:
        with translation.override(person.preferred_language):
            context = {
                "recipient_name": _name_without_address(person),
                "sender_name": _name_without_address(message.sender),
                "sender_organisation": message.sender_organisation.name,
                "recipient_organisation": recipient.name,
                "request_title": request.title,
                "body": message.body,
                "conversation_url": url,
            }
            subject = _("[Fabreck] %(organisation)s wrote about “%(title)s”") % {
                "organisation": message.sender_organisation.name,
                "title": request.title,
            }
            text = render_to_string("cluster/email/collaboration_message.txt", context)
        email_send_on_commit(
            EmailMessage(
                subject=subject,
                body=text,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[person.email],
            )
        )
