"""Every write of the cluster: applications, membership decisions, search text."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
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
    competence_search_words,
)
from fabreck.core.i18n import LANGUAGE_CODES
from fabreck.core.mail import email_send_on_commit
from fabreck.core.secrets import secret_digest
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
    return secret_digest(secret)


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
        _person_invitation_mail(invitation=invitation, secret=secret)
    return invitation, secret


def _is_owner(organisation: Organisation, user: User) -> bool:
    return organisation.memberships.filter(user=user, role=Role.OWNER).exists()


def _person_invitation_mail(*, invitation: OrganisationInvitation, secret: str) -> None:
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


# --- Calls for projects and consortia ------------------------------------------------
# Cluster managers publish calls; members declare interest and form consortia; a digest
# tells members, once per call, of the open calls that match them.

import zipfile  # noqa: E402
from datetime import datetime  # noqa: E402
from decimal import Decimal  # noqa: E402
from pathlib import PurePath  # noqa: E402

from fabreck.cluster.models import (  # noqa: E402
    CALL_DOCUMENT_MAX_BYTES,
    CALL_DOCUMENT_TYPES,
    Call,
    CallDigestConsent,
    CallDigestSent,
    CallDocument,
    CallInterest,
    Consortium,
    ConsortiumMembership,
)

CallStatus = Call.Status
Membership = ConsortiumMembership.Status
MANAGING_ROLES = (OrganisationPerson.Role.OWNER, OrganisationPerson.Role.ADMIN)


@dataclass(frozen=True)
class CallData:
    """What a cluster manager tells about a call."""

    kind: str
    funder: str
    deadline: datetime
    title_en: str = ""
    title_fr: str = ""
    title_de: str = ""
    summary_en: str = ""
    summary_fr: str = ""
    summary_de: str = ""
    description_en: str = ""
    description_fr: str = ""
    description_de: str = ""
    budget: Decimal | None = None
    sectors: Iterable[Sector] = ()
    competences: Iterable[Competence] = ()
    external_url: str = ""
    slug: str = ""


CALL_TEXT_FIELDS = tuple(
    f"{base}_{code}" for base in ("title", "summary", "description") for code in LANGUAGE_CODES
)


def call_data_of(call: Call) -> CallData:
    """A call's current data, to change a few fields of it (the API's PATCH)."""
    return CallData(
        kind=call.kind,
        funder=call.funder,
        deadline=call.deadline,
        budget=call.budget,
        sectors=list(call.sectors.all()),
        competences=list(call.competences.all()),
        external_url=call.external_url,
        slug=call.slug,
        **{name: getattr(call, name) for name in CALL_TEXT_FIELDS},
    )


def _cluster_manager_required(user: User) -> None:
    if not (user and user.is_authenticated and user.has_perm("accounts.manage_cluster")):
        raise PermissionDenied(_("Only cluster managers may manage calls."))


def _organisation_admin_required(organisation: Organisation, user: User) -> None:
    if not OrganisationPerson.objects.filter(
        organisation=organisation, user=user, role__in=MANAGING_ROLES
    ).exists():
        raise PermissionDenied(
            _("Only the owners and admins of %(name)s may do this.") % {"name": organisation.name}
        )


def _member_required(organisation: Organisation) -> None:
    if organisation.status != Organisation.Status.MEMBER:
        raise ValidationError(
            _("%(name)s is not a member of the cluster: only members can answer calls.")
            % {"name": organisation.name}
        )


def _call_open_required(call: Call, now: datetime | None = None) -> None:
    if call.status != CallStatus.PUBLISHED:
        raise ValidationError(_("This call is not open."))
    if call.deadline <= (now or timezone.now()):
        raise ValidationError(_("The deadline of this call has passed."))


def _call_validate(data: CallData, *, deadline_changed: bool) -> None:
    errors: dict[str, list[str]] = {}
    if not any(getattr(data, f"title_{code}").strip() for code in LANGUAGE_CODES):
        errors["title_en"] = [_("Give the call a title in at least one language.")]
    if data.kind not in Call.Kind.values:
        errors["kind"] = [_("Choose a tender, a grant or a competition.")]
    if not data.funder.strip():
        errors["funder"] = [_("Say who funds or issues the call.")]
    if data.budget is not None and data.budget < 0:
        errors["budget"] = [_("The budget cannot be negative.")]
    if deadline_changed and data.deadline <= timezone.now():
        errors["deadline"] = [_("The deadline must be in the future.")]
    if errors:
        raise ValidationError(errors)


def _call_fill(call: Call, data: CallData) -> None:
    call.kind = data.kind
    call.funder = data.funder.strip()
    call.deadline = data.deadline
    call.budget = data.budget
    call.external_url = data.external_url
    for name in CALL_TEXT_FIELDS:
        setattr(call, name, getattr(data, name).strip())
    call.search_text = call_search_text(call)


def call_search_text(call: Call) -> str:
    """What the calls' search reads: titles and summaries (every language) and funder."""
    names = [f"{base}_{code}" for base in ("title", "summary") for code in LANGUAGE_CODES]
    return search_normalize(" ".join([call.funder, *(getattr(call, name) for name in names)]))


def _call_slug(data: CallData) -> str:
    if data.slug:
        if Call.objects.filter(slug=data.slug).exists():
            raise ValidationError(
                {"slug": _("The address “%(slug)s” is already taken.") % {"slug": data.slug}}
            )
        return data.slug
    title = next(
        getattr(data, f"title_{code}") for code in LANGUAGE_CODES if getattr(data, f"title_{code}")
    )
    base = slugify(title)[:70] or "call"
    slug, n = base, 1
    while Call.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def call_create(*, by: User, data: CallData) -> Call:
    """A cluster manager drafts a call; it is public once published."""
    _cluster_manager_required(by)
    _call_validate(data, deadline_changed=True)
    call = Call(slug=_call_slug(data), created_by=by, status=CallStatus.DRAFT)
    _call_fill(call, data)
    call.full_clean(exclude=["sectors", "competences", "created_by"])
    try:
        with transaction.atomic():
            call.save()
            call.sectors.set(data.sectors)
            call.competences.set(data.competences)
    except IntegrityError as error:  # two managers raced for the same address
        raise ValidationError(
            {"slug": _("The address “%(slug)s” is already taken.") % {"slug": call.slug}}
        ) from error
    return call


def call_update(*, call: Call, by: User, data: CallData) -> Call:
    """A cluster manager changes a call (its address stays, links keep working)."""
    _cluster_manager_required(by)
    with transaction.atomic():
        call = Call.objects.select_for_update().get(pk=call.pk)
        if call.status == CallStatus.CLOSED:
            raise ValidationError(_("A closed call can no longer be changed."))
        # The form shows minutes: a deadline sent back unchanged may have lost its seconds.
        moved = abs((data.deadline - call.deadline).total_seconds()) >= 60
        _call_validate(data, deadline_changed=moved)
        _call_fill(call, data)
        call.full_clean(exclude=["sectors", "competences", "created_by"])
        call.save()
        call.sectors.set(data.sectors)
        call.competences.set(data.competences)
    return call


def call_publish(*, call: Call, by: User) -> Call:
    _cluster_manager_required(by)
    with transaction.atomic():
        call = Call.objects.select_for_update().get(pk=call.pk)
        if call.status != CallStatus.DRAFT:
            raise ValidationError(_("Only a draft can be published."))
        if call.deadline <= timezone.now():
            raise ValidationError(
                _("The deadline has passed: move it to the future before publishing.")
            )
        call.status = CallStatus.PUBLISHED
        call.published_at = timezone.now()
        call.save(update_fields=["status", "published_at", "updated_at"])
    return call


def call_close(*, call: Call, by: User) -> Call:
    """No more interest, consortia or answers; the call stays visible as closed."""
    _cluster_manager_required(by)
    with transaction.atomic():
        call = Call.objects.select_for_update().get(pk=call.pk)
        if call.status != CallStatus.PUBLISHED:
            raise ValidationError(_("Only a published call can be closed."))
        call.status = CallStatus.CLOSED
        call.closed_at = timezone.now()
        call.save(update_fields=["status", "closed_at", "updated_at"])
    return call


def _document_kind_ok(upload: UploadedFile, extension: str) -> bool:
    """The content is what the extension says: a PDF, or a ZIP (OOXML and ODF are ZIPs)."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if extension == "pdf":
        return head.startswith(b"%PDF-")
    if not head.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            if extension == "docx":
                return "word/document.xml" in names
            if extension == "xlsx":
                return "xl/workbook.xml" in names
            if extension == "odt":
                return (
                    "mimetype" in names
                    and archive.read("mimetype").strip()
                    == b"application/vnd.oasis.opendocument.text"
                )
            return True
    except zipfile.BadZipFile:
        return False
    finally:
        upload.seek(0)


def call_document_add(*, call: Call, by: User, title: str, file: UploadedFile) -> CallDocument:
    """A cluster manager attaches a document (PDF, DOCX, XLSX, ODT or ZIP, at most 10 MB)."""
    _cluster_manager_required(by)
    filename = PurePath(file.name or "").name[:255]
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in CALL_DOCUMENT_TYPES:
        raise ValidationError(
            {"file": _("This type of file is not accepted: upload a PDF, DOCX, XLSX, ODT or ZIP.")}
        )
    if file.size > CALL_DOCUMENT_MAX_BYTES:
        raise ValidationError(
            {
                "file": _("The file is too large (%(size)s MB): at most 10 MB.")
                % {"size": f"{file.size / 1024 / 1024:.1f}"}
            }
        )
    if not _document_kind_ok(file, extension):
        raise ValidationError(
            {"file": _("This file is not a valid %(type)s file.") % {"type": extension.upper()}}
        )
    title = title.strip() or PurePath(filename).stem
    document = CallDocument(
        call=call, title=title[:200], filename=filename, size=file.size, uploaded_by=by
    )
    with transaction.atomic():
        document.file.save(filename, file, save=False)
        try:
            document.save()
        except Exception:
            document.file.delete(save=False)
            raise
    return document


def call_document_delete(*, document: CallDocument, by: User) -> None:
    _cluster_manager_required(by)
    storage, name = document.file.storage, document.file.name
    with transaction.atomic():
        document.delete()
        transaction.on_commit(lambda: storage.delete(name))


def call_interest_declare(*, call: Call, organisation: Organisation, by: User) -> CallInterest:
    """A member organisation's admin says it means to answer the call (again: no change)."""
    _organisation_admin_required(organisation, by)
    _member_required(organisation)
    _call_open_required(call)
    try:
        with transaction.atomic():
            interest, _created = CallInterest.objects.get_or_create(
                call=call, organisation=organisation, defaults={"declared_by": by}
            )
    except IntegrityError:  # declared twice at the same instant
        interest = CallInterest.objects.get(call=call, organisation=organisation)
    return interest


def call_interest_withdraw(*, call: Call, organisation: Organisation, by: User) -> None:
    _organisation_admin_required(organisation, by)
    _call_open_required(call)
    with transaction.atomic():
        if ConsortiumMembership.objects.filter(
            consortium__call=call, organisation=organisation, status=Membership.ACCEPTED
        ).exists():
            raise ValidationError(
                _("%(name)s is in a consortium for this call: leave it first.")
                % {"name": organisation.name}
            )
        deleted, _rows = CallInterest.objects.filter(call=call, organisation=organisation).delete()
        if not deleted:
            raise ValidationError(
                _("%(name)s has not declared interest in this call.") % {"name": organisation.name}
            )


def consortium_create(*, call: Call, lead: Organisation, name: str, by: User) -> Consortium:
    """A member organisation starts a consortium for a call, which it leads. Leading
    declares its interest in the call."""
    _organisation_admin_required(lead, by)
    _member_required(lead)
    _call_open_required(call)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the consortium a name.")})
    if len(name) > 200:
        raise ValidationError({"name": _("The name is too long: at most 200 characters.")})
    taken = ValidationError(
        _("%(name)s already leads a consortium for this call.") % {"name": lead.name}
    )
    if Consortium.objects.filter(call=call, lead=lead).exists():
        raise taken
    now = timezone.now()
    try:
        with transaction.atomic():
            consortium = Consortium.objects.create(call=call, lead=lead, name=name, created_by=by)
            ConsortiumMembership.objects.create(
                consortium=consortium,
                organisation=lead,
                status=Membership.ACCEPTED,
                invited_by=by,
                invited_at=now,
                responded_by=by,
                responded_at=now,
            )
            CallInterest.objects.get_or_create(
                call=call, organisation=lead, defaults={"declared_by": by}
            )
    except IntegrityError as error:
        raise taken from error
    return consortium


def _admins_of(organisation: Organisation) -> list[User]:
    return list(
        User.objects.filter(
            organisation_memberships__organisation=organisation,
            organisation_memberships__role__in=MANAGING_ROLES,
            is_active=True,
        ).order_by("email")
    )


def consortium_invite(
    *, consortium: Consortium, organisation: Organisation, by: User
) -> ConsortiumMembership:
    """The lead invites another member organisation; its admins are told by e-mail."""
    _organisation_admin_required(consortium.lead, by)
    if organisation.status != Organisation.Status.MEMBER:
        raise ValidationError(
            {
                "organisation": _(
                    "%(name)s is not a member of the cluster: only members can join a consortium."
                )
                % {"name": organisation.name}
            }
        )
    already = ValidationError(
        {
            "organisation": _("%(name)s is already in this consortium or invited to it.")
            % {"name": organisation.name}
        }
    )
    try:
        with transaction.atomic():
            consortium = (
                Consortium.objects.select_for_update().select_related("call").get(pk=consortium.pk)
            )
            _call_open_required(consortium.call)
            membership = ConsortiumMembership.objects.filter(
                consortium=consortium, organisation=organisation
            ).first()
            now = timezone.now()
            if membership is None:
                membership = ConsortiumMembership.objects.create(
                    consortium=consortium, organisation=organisation, invited_by=by, invited_at=now
                )
            elif membership.status in {Membership.INVITED, Membership.ACCEPTED}:
                raise already
            else:  # it declined or left before: a new invitation
                membership.status = Membership.INVITED
                membership.invited_by, membership.invited_at = by, now
                membership.responded_by, membership.responded_at = None, None
                membership.save()
            _invitation_mail(membership=membership, invited_by=by)
    except IntegrityError as error:  # invited twice at the same instant
        raise already from error
    return membership


def _consortium_url(consortium: Consortium) -> str:
    return settings.SITE_URL + reverse("cluster:consortium", args=[consortium.pk])


def _invitation_mail(*, membership: ConsortiumMembership, invited_by: User) -> None:
    consortium = membership.consortium
    for recipient in _admins_of(membership.organisation):
        with translation.override(recipient.preferred_language):
            context = {
                "recipient": recipient,
                "organisation": membership.organisation,
                "consortium": consortium,
                "call": consortium.call,
                "lead": consortium.lead,
                "invited_by": invited_by,
                "url": _consortium_url(consortium),
            }
            subject = _("[Fabreck] %(lead)s invites %(name)s to answer a call together") % {
                "lead": consortium.lead.name,
                "name": membership.organisation.name,
            }
            body = render_to_string("cluster/email/consortium_invitation.txt", context)
        email_send_on_commit(EmailMessage(subject=subject, body=body, to=[recipient.email]))


def consortium_respond(
    *, membership: ConsortiumMembership, accept: bool, by: User
) -> ConsortiumMembership:
    """The invited organisation's admin accepts (which declares its interest) or declines."""
    _organisation_admin_required(membership.organisation, by)
    with transaction.atomic():
        membership = (
            ConsortiumMembership.objects.select_for_update()
            .select_related("consortium__call", "consortium__lead", "organisation")
            .get(pk=membership.pk)
        )
        if membership.status != Membership.INVITED:
            raise ValidationError(_("This invitation has already been answered."))
        call = membership.consortium.call
        if accept:
            _call_open_required(call)
            _member_required(membership.organisation)
            CallInterest.objects.get_or_create(
                call=call, organisation=membership.organisation, defaults={"declared_by": by}
            )
        membership.status = Membership.ACCEPTED if accept else Membership.DECLINED
        membership.responded_by, membership.responded_at = by, timezone.now()
        membership.save(update_fields=["status", "responded_by", "responded_at"])
        _answer_mail(membership=membership)
    return membership


def _answer_mail(*, membership: ConsortiumMembership) -> None:
    """The lead's admins learn the answer to their invitation."""
    consortium = membership.consortium
    for recipient in _admins_of(consortium.lead):
        with translation.override(recipient.preferred_language):
            context = {
                "recipient": recipient,
                "membership": membership,
                "consortium": consortium,
                "status": membership.get_status_display(),
                "url": _consortium_url(consortium),
            }
            subject = _("[Fabreck] %(name)s: %(status)s") % {
                "name": membership.organisation.name,
                "status": membership.get_status_display(),
            }
            body = render_to_string("cluster/email/consortium_answer.txt", context)
        email_send_on_commit(EmailMessage(subject=subject, body=body, to=[recipient.email]))


def consortium_leave(*, consortium: Consortium, organisation: Organisation, by: User) -> None:
    """A member organisation leaves. The lead cannot: it hands the lead over first, or
    dissolves the consortium, so that a consortium always has a lead among its members."""
    _organisation_admin_required(organisation, by)
    with transaction.atomic():
        consortium = Consortium.objects.select_for_update().get(pk=consortium.pk)
        if consortium.lead_id == organisation.pk:
            raise ValidationError(
                _(
                    "The lead organisation cannot leave its consortium: hand the lead over to "
                    "another member first, or dissolve the consortium."
                )
            )
        updated = ConsortiumMembership.objects.filter(
            consortium=consortium, organisation=organisation, status=Membership.ACCEPTED
        ).update(status=Membership.LEFT, responded_by=by, responded_at=timezone.now())
        if not updated:
            raise ValidationError(
                _("%(name)s is not a member of this consortium.") % {"name": organisation.name}
            )


def consortium_lead_hand_over(*, consortium: Consortium, to: Organisation, by: User) -> Consortium:
    """The lead hands the lead over to another organisation that accepted to be a member."""
    _organisation_admin_required(consortium.lead, by)
    try:
        with transaction.atomic():
            consortium = Consortium.objects.select_for_update().get(pk=consortium.pk)
            if to.pk == consortium.lead_id:
                raise ValidationError(_("%(name)s already leads it.") % {"name": to.name})
            if not ConsortiumMembership.objects.filter(
                consortium=consortium, organisation=to, status=Membership.ACCEPTED
            ).exists():
                raise ValidationError(
                    _("Only an organisation that accepted to be a member can take the lead.")
                )
            consortium.lead = to
            consortium.save(update_fields=["lead", "updated_at"])
    except IntegrityError as error:  # `to` leads another consortium for the same call
        raise ValidationError(
            _("%(name)s already leads a consortium for this call.") % {"name": to.name}
        ) from error
    return consortium


def consortium_dissolve(*, consortium: Consortium, by: User) -> None:
    _organisation_admin_required(consortium.lead, by)
    with transaction.atomic():
        consortium.delete()


def call_digest_consent_set(*, organisation: Organisation, by: User, consent: bool) -> None:
    """An organisation's admin asks for (or stops) the periodic digest of matching calls."""
    _organisation_admin_required(organisation, by)
    with transaction.atomic():
        if consent:
            CallDigestConsent.objects.get_or_create(
                organisation=organisation, defaults={"given_by": by}
            )
        else:
            CallDigestConsent.objects.filter(organisation=organisation).delete()


@dataclass(frozen=True)
class DigestReport:
    organisations: int  # organisations told of at least one call
    emails: int
    calls: int  # (organisation, call) pairs listed


def call_digest_send(*, now: datetime | None = None) -> DigestReport:
    """E-mail every consenting member organisation's owners and admins the open calls that
    match it and that no digest listed to it before, each in their own language.

    Running it again sends nothing new. Each organisation is handled in its own short
    transaction, under a lock on its consent, so two runs at once never list a call twice.
    """
    from fabreck.cluster.selectors import calls_matching_organisations

    now = now or timezone.now()
    consenting = Organisation.objects.filter(
        status=Organisation.Status.MEMBER, call_digest_consent__isnull=False
    )
    candidates = calls_matching_organisations(organisations=consenting, now=now)
    sent_before: set[tuple[int, int]] = set(
        CallDigestSent.objects.filter(
            organisation__in=consenting,
            call_id__in={call.pk for calls in candidates.values() for call in calls},
        ).values_list("organisation_id", "call_id")
    )
    todo = {
        org_id: [call for call in calls if (org_id, call.pk) not in sent_before]
        for org_id, calls in candidates.items()
    }
    todo = {org_id: calls for org_id, calls in todo.items() if calls}
    recipients: dict[int, list[OrganisationPerson]] = {}
    for person in (
        OrganisationPerson.objects.filter(
            organisation_id__in=todo, role__in=MANAGING_ROLES, user__is_active=True
        )
        .select_related("user", "organisation")
        .order_by("user__email")
    ):
        recipients.setdefault(person.organisation_id, []).append(person)
    organisations = emails = pairs = 0
    for org_id, calls in todo.items():
        people = recipients.get(org_id, [])
        if not people:
            continue
        with transaction.atomic():
            # Lock the consent: a second run waits here, then sees what this one recorded.
            if (
                not CallDigestConsent.objects.select_for_update()
                .filter(organisation_id=org_id)
                .exists()
            ):
                continue  # consent withdrawn meanwhile
            recorded = set(
                CallDigestSent.objects.filter(
                    organisation_id=org_id, call_id__in=[c.pk for c in calls]
                ).values_list("call_id", flat=True)
            )
            new = [call for call in calls if call.pk not in recorded]
            if not new:
                continue
            CallDigestSent.objects.bulk_create(
                [CallDigestSent(organisation_id=org_id, call=call, sent_at=now) for call in new]
            )
            for person in people:
                _digest_mail(organisation=person.organisation, recipient=person.user, calls=new)
                emails += 1
            organisations += 1
            pairs += len(new)
    return DigestReport(organisations=organisations, emails=emails, calls=pairs)


def _digest_mail(*, organisation: Organisation, recipient: User, calls: list[Call]) -> None:
    with translation.override(recipient.preferred_language):
        context = {
            "recipient": recipient,
            "organisation": organisation,
            "calls": [
                (call, settings.SITE_URL + reverse("cluster:call", args=[call.slug]))
                for call in calls
            ],
            "calls_url": settings.SITE_URL + reverse("cluster:calls"),
            "settings_url": settings.SITE_URL + reverse("cluster:my-organisations"),
        }
        subject = ngettext(
            "[Fabreck] %(count)d new call for %(name)s",
            "[Fabreck] %(count)d new calls for %(name)s",
            len(calls),
        ) % {"count": len(calls), "name": organisation.name}
        body = render_to_string("cluster/email/call_digest.txt", context)
    email_send_on_commit(EmailMessage(subject=subject, body=body, to=[recipient.email]))


# --- Search: the taxonomy words of PostgreSQL's directory search table --------------------

COMPETENCE_WORDS_TABLE = "cluster_competence_words"  # migration 0007, PostgreSQL only


def competence_search_words_sync(
    *, competence_ids: Iterable[int] | None = None, model: type[Competence] | None = None
) -> None:
    """Copy the normalised words of competences (all of them when `competence_ids` is None)
    to PostgreSQL's `cluster_competence_words`, whose triggers rewrite the directory entries
    of the organisations having them. Inactive or deleted competences lose their words.
    Nothing to do on SQLite, or before migration 0007 (`model`: a migration's model)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    if COMPETENCE_WORDS_TABLE not in connection.introspection.table_names():
        return
    model = model or Competence
    competences = model.objects.all()
    if competence_ids is not None:
        competence_ids = list(competence_ids)
        competences = competences.filter(pk__in=competence_ids)
    words = {
        c.pk: competence_search_words(c)
        for c in competences.only(
            "pk",
            "is_active",
            *(f"{p}_{code}" for p in ("label", "synonyms") for code in LANGUAGE_CODES),
        )
        if c.is_active
    }
    with transaction.atomic(), connection.cursor() as cursor:
        if competence_ids is None:
            cursor.execute(
                "DELETE FROM cluster_competence_words WHERE NOT (competence_id = ANY(%s))",
                [list(words)],
            )
        else:
            gone = sorted(set(competence_ids) - set(words))
            cursor.execute(
                "DELETE FROM cluster_competence_words WHERE competence_id = ANY(%s)", [gone]
            )
        cursor.execute(
            """
            INSERT INTO cluster_competence_words AS w (competence_id, words)
            SELECT * FROM unnest(%s::bigint[], %s::text[])
            ON CONFLICT (competence_id) DO UPDATE SET words = EXCLUDED.words
            WHERE w.words IS DISTINCT FROM EXCLUDED.words
            """,
            [list(words), list(words.values())],
        )


def competence_changed(*, competence_id: int) -> None:
    """After a competence is saved or deleted: searches and needs read its new labels and
    synonyms at once (the cached taxonomy, PostgreSQL's search table)."""
    from fabreck.cluster.selectors import taxonomy_cache_clear

    competence_search_words_sync(competence_ids=[competence_id])
    taxonomy_cache_clear()


@contextmanager
def directory_search_table_deferred() -> Iterator[None]:
    """For bulk loads (the seeder): inside, the search table's triggers wait; at the end,
    in the same transaction, the table is rebuilt once. Rewriting each entry at every
    statement (organisations, then their sectors, then their competences) would leave
    two dead rows per entry for the vacuum to clear."""
    from django.db import connection

    if connection.vendor != "postgresql" or (
        "cluster_directory_entry" not in connection.introspection.table_names()
    ):
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL fabreck.directory_refresh = 'deferred'")
        yield
        cursor.execute("SET LOCAL fabreck.directory_refresh = 'immediate'")
        cursor.execute("SELECT cluster_directory_rebuild()")


def organisation_incubated_set(*, organisation: Organisation, incubated: bool) -> None:
    """The incubator marks the startups it hosts; the directory shows and filters them."""
    Organisation.objects.filter(pk=organisation.pk).update(
        incubated=incubated, updated_at=timezone.now()
    )
    organisation.incubated = incubated


def organisation_kind_set(*, organisation: Organisation, kind: str) -> None:
    """Another programme records what an organisation is (the incubator: a startup)."""
    if kind not in Organisation.Kind.values:
        raise ValidationError({"kind": _("Choose one of the kinds of organisation.")})
    Organisation.objects.filter(pk=organisation.pk).update(kind=kind, updated_at=timezone.now())
    organisation.kind = kind
