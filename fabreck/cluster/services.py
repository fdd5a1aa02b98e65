"""Every write of the cluster: applications, membership decisions, search text."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from fabreck.accounts.models import User
from fabreck.cluster.models import (
    Commune,
    Competence,
    NaceClass,
    Organisation,
    OrganisationNace,
    OrganisationPerson,
    Sector,
    competence_search_token,
    competence_search_words,
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
    fields = {
        name: getattr(data, name)
        for name in (
            "name", "kind", "size_band", "commune", "legal_form", "headcount", "founded_year",
            "street", "postcode", "locality", "email", "phone", "website", "description_en",
            "description_fr", "description_de", "keywords", "directory_consent", "show_email",
            "show_phone", "show_address",
        )
    }  # fmt: skip
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
    if not organisation.memberships.filter(
        user=by, role__in=[OrganisationPerson.Role.OWNER, OrganisationPerson.Role.ADMIN]
    ).exists():
        raise ValidationError(_("Only the organisation's owners and admins may delete it."))
    with transaction.atomic():
        organisation.delete()


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
