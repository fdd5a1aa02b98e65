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


# --- reviews ---
from dataclasses import dataclass  # noqa: E402
from datetime import datetime  # noqa: E402

from django.core.mail import EmailMessage  # noqa: E402
from django.db.models import Q  # noqa: E402
from django.template.loader import render_to_string  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import formats, translation  # noqa: E402
from django.utils.translation import ngettext  # noqa: E402

from fabreck.core.mail import email_send_on_commit  # noqa: E402
from fabreck.incubator.models import (  # noqa: E402
    APPLICATION_TRANSITIONS,
    DECISION_STATUSES,
    IncubatorCall,
    Review,
    Score,
)

REVIEW_MESSAGE_MAX = 5000


def _application_reviewable(application: Application) -> None:
    if application.status != Application.Status.SUBMITTED:
        raise ValidationError(
            _("Only submitted applications awaiting a decision are reviewed."),
            code="not_reviewable",
        )


def _round_open(call: IncubatorCall) -> None:
    if call.review_closed_at is not None:
        raise ValidationError(
            _("The review round of this call is closed: nothing can change any more."),
            code="round_closed",
        )


def _is_founder(application: Application, user: User) -> bool:
    return (
        application.applicant_id == user.pk
        or application.founders.filter(Q(user=user) | Q(email__iexact=user.email)).exists()
    )


def review_assign(*, application: Application, reviewer: User, by: User) -> Review:
    """The manager asks `reviewer` (any active account) to review a submitted application.
    A founder of the team cannot review it; assigning twice is refused."""
    _ensure_manager(by)
    with transaction.atomic():
        application = (
            Application.objects.select_for_update(of=("self",))
            .select_related("call")
            .get(pk=application.pk)
        )
        _round_open(application.call)
        _application_reviewable(application)
        if not reviewer.is_active:
            raise ValidationError(
                _("This account is not active: it cannot review."), code="reviewer_inactive"
            )
        if _is_founder(application, reviewer):
            raise ValidationError(
                _("%(name)s is on this team: a founder cannot review their own application.")
                % {"name": reviewer.get_full_name() or reviewer.email},
                code="reviewer_is_founder",
            )
        if Review.objects.filter(application=application, reviewer=reviewer).exists():
            raise ValidationError(
                _("%(name)s already reviews this application.")
                % {"name": reviewer.get_full_name() or reviewer.email},
                code="already_assigned",
            )
        return Review.objects.create(application=application, reviewer=reviewer, assigned_by=by)


def reviews_assign_all(*, call: IncubatorCall, reviewer: User, by: User) -> list[Review]:
    """Assign `reviewer` to every submitted application of the call they do not review yet
    and are not a founder of. Returns the new assignments."""
    _ensure_manager(by)
    with transaction.atomic():
        call = IncubatorCall.objects.select_for_update().get(pk=call.pk)
        _round_open(call)
        if not reviewer.is_active:
            raise ValidationError(
                _("This account is not active: it cannot review."), code="reviewer_inactive"
            )
        applications = (
            Application.objects.filter(call=call, status=Application.Status.SUBMITTED)
            .exclude(reviews__reviewer=reviewer)
            .exclude(applicant=reviewer)
            .exclude(founders__user=reviewer)
            .exclude(founders__email__iexact=reviewer.email)
            .distinct()
            .order_by("pk")
        )
        return Review.objects.bulk_create(
            [Review(application=a, reviewer=reviewer, assigned_by=by) for a in applications]
        )


def review_unassign(*, review: Review, by: User) -> None:
    """Take an assignment back, while the reviewer has neither scored nor abstained."""
    _ensure_manager(by)
    with transaction.atomic():
        review = (
            Review.objects.select_for_update(of=("self",))
            .select_related("application__call")
            .get(pk=review.pk)
        )
        _round_open(review.application.call)
        if review.status != Review.Status.ASSIGNED:
            raise ValidationError(
                _("This reviewer has already scored or abstained: the review stays."),
                code="review_started",
            )
        review.delete()


def review_locked(review: Review) -> Review:
    return (
        Review.objects.select_for_update(of=("self",))
        .select_related("application__call")
        .get(pk=review.pk)
    )


def _review_writable(review: Review, by: User) -> None:
    if review.reviewer_id != by.pk:
        raise PermissionDenied(_("Only the assigned reviewer may do this."))
    _round_open(review.application.call)
    _application_reviewable(review.application)


def review_conflict_declare(*, review: Review, by: User, reason: str) -> Review:
    """The reviewer declares a conflict of interest and abstains, saying why. Final: any
    scores they gave are withdrawn and they score this application no more."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": _("Say what the conflict of interest is.")}, code="reason_required"
        )
    if len(reason) > 500:
        raise ValidationError({"reason": _("Keep the reason under 500 characters.")})
    with transaction.atomic():
        review = review_locked(review)
        _review_writable(review, by)
        if review.status == Review.Status.CONFLICT:
            raise ValidationError(
                _("You already declared a conflict on this application."), code="conflict"
            )
        review.scores.all().delete()
        review.status = Review.Status.CONFLICT
        review.conflict_reason = reason
        review.comment = ""
        review.submitted_at = None
        review.save(
            update_fields=["status", "conflict_reason", "comment", "submitted_at", "updated_at"]
        )
    return review


@dataclass(frozen=True)
class ScoreInput:
    criterion_id: int
    value: int | None
    comment: str = ""


def review_submit(
    *,
    review: Review,
    by: User,
    scores: list[ScoreInput],
    comment: str = "",
    now: datetime | None = None,
) -> Review:
    """The reviewer scores every criterion of the call from 0 to the call's scale, with a
    comment each and an overall one. Submitting again replaces the scores, until the round
    closes. Any bad score refuses the whole review: nothing is stored."""
    now = now or timezone.now()
    with transaction.atomic():
        review = review_locked(review)
        _review_writable(review, by)
        if review.status == Review.Status.CONFLICT:
            raise ValidationError(
                _("You declared a conflict of interest on this application: you cannot score it."),
                code="conflict",
            )
        call = review.application.call
        criteria = list(call.criteria.order_by("position", "pk"))
        given: dict[int, ScoreInput] = {}
        errors: dict[str, list[str]] = {}
        known = {c.pk for c in criteria}
        for item in scores:
            if item.criterion_id not in known:
                errors.setdefault("scores", []).append(
                    _("Criterion %(id)s is not one of this call's.") % {"id": item.criterion_id}
                )
                continue
            if item.criterion_id in given:
                errors.setdefault("scores", []).append(_("Each criterion is scored once."))
                continue
            given[item.criterion_id] = item
        for criterion in criteria:
            item = given.get(criterion.pk)
            key = f"score_{criterion.pk}"
            if item is None or item.value is None:
                errors[key] = [_("Score “%(criterion)s”.") % {"criterion": criterion.label}]
            elif (
                isinstance(item.value, bool)
                or not isinstance(item.value, int)
                or not (0 <= item.value <= call.score_max)
            ):
                errors[key] = [
                    _("Score “%(criterion)s” from 0 to %(max)s.")
                    % {"criterion": criterion.label, "max": call.score_max}
                ]
            elif len(item.comment or "") > 5000:
                errors[key] = [_("Keep each comment under 5000 characters.")]
        if len(comment or "") > REVIEW_MESSAGE_MAX:
            errors["comment"] = [_("Keep the overall comment under 5000 characters.")]
        if errors:
            raise ValidationError(errors, code="invalid_scores")
        review.scores.all().delete()
        Score.objects.bulk_create(
            [
                Score(
                    review=review,
                    criterion=criterion,
                    value=given[criterion.pk].value,
                    comment=(given[criterion.pk].comment or "").strip(),
                )
                for criterion in criteria
            ]
        )
        review.status = Review.Status.SUBMITTED
        review.comment = (comment or "").strip()
        review.submitted_at = now
        review.save(update_fields=["status", "comment", "submitted_at", "updated_at"])
    return review


def review_round_close(
    *, call: IncubatorCall, by: User, now: datetime | None = None
) -> IncubatorCall:
    """Close the jury's round: scores are final and the reviewers see the ranking. Only
    after the call has closed to applications."""
    _ensure_manager(by)
    now = now or timezone.now()
    with transaction.atomic():
        call = IncubatorCall.objects.select_for_update().get(pk=call.pk)
        if call.review_closed_at is not None:
            raise ValidationError(_("The review round is already closed."), code="round_closed")
        if now < call.closes_at:
            raise ValidationError(
                _("The call takes applications until %(date)s: close the round after that.")
                % {
                    "date": formats.date_format(
                        timezone.localtime(call.closes_at), "DATETIME_FORMAT"
                    )
                },
                code="call_open",
            )
        call.review_closed_at = now
        call.save(update_fields=["review_closed_at", "updated_at"])
    return call


def review_round_reopen(*, call: IncubatorCall, by: User) -> IncubatorCall:
    """Reopen the round, as long as no decision was made on the call's applications."""
    _ensure_manager(by)
    with transaction.atomic():
        call = IncubatorCall.objects.select_for_update().get(pk=call.pk)
        if call.review_closed_at is None:
            raise ValidationError(_("The review round is open already."), code="round_open")
        decided = Application.objects.filter(call=call, status__in=DECISION_STATUSES).count()
        if decided:
            raise ValidationError(
                ngettext(
                    "A decision was made on %(count)s application: the round stays closed.",
                    "Decisions were made on %(count)s applications: the round stays closed.",
                    decided,
                )
                % {"count": decided},
                code="decisions_made",
            )
        call.review_closed_at = None
        call.save(update_fields=["review_closed_at", "updated_at"])
    return call


def application_locked(application: Application) -> Application:
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("call__cohort", "applicant")
        .get(pk=application.pk)
    )


def _ensure_decidable(application: Application, decision: str) -> None:
    if decision not in DECISION_STATUSES:
        raise ValidationError(
            {"decision": _("Choose accept, waitlist or decline.")}, code="decision_unknown"
        )
    if decision not in APPLICATION_TRANSITIONS.get(application.status, frozenset()):
        if application.status in DECISION_STATUSES:
            raise ValidationError(
                _("This application is already %(status)s.")
                % {"status": application.get_status_display().lower()},
                code="already_decided",
            )
        raise ValidationError(
            _("Only a submitted or waitlisted application can be decided."),
            code="not_decidable",
        )


def _decision_recipients(application: Application) -> list[str]:
    emails: list[str] = []
    seen: set[str] = set()
    candidates = [application.applicant.email]
    candidates += [f.email for f in application.founders.all()]
    for email in candidates:
        if email and email.lower() not in seen:
            seen.add(email.lower())
            emails.append(email)
    return emails


def _decision_mail(application: Application) -> None:
    """The decision, to the applicant and every founder, in the application's language."""
    language = application.language or settings.LANGUAGE_CODE
    with translation.override(language):
        text = render_to_string(
            "incubator/email/reviews_decision.txt",
            {
                "application": application,
                "call": application.call,
                "site_url": settings.SITE_URL + reverse("core:home"),
            },
        )
        subject, _blank, body = text.strip().partition("\n")
        subject = _("[Fabreck] %(subject)s") % {"subject": subject.strip()}
    for email in _decision_recipients(application):
        email_send_on_commit(EmailMessage(subject=subject, body=body.lstrip(), to=[email]))


def application_decide(
    *,
    application: Application,
    decision: str,
    by: User,
    message: str = "",
    now: datetime | None = None,
) -> Application:
    """The manager accepts, waitlists or declines a submitted application (a waitlisted one
    may later be accepted or declined), under a row lock so that two managers deciding at
    once give one decision. The team is told in the application's language; accepting
    starts the startup's incubation."""
    _ensure_manager(by)
    message = (message or "").strip()
    if len(message) > REVIEW_MESSAGE_MAX:
        raise ValidationError({"message": _("Keep the message under 5000 characters.")})
    now = now or timezone.now()
    with transaction.atomic():
        application = application_locked(application)
        _ensure_decidable(application, decision)
        application.status = decision
        application.decided_at = now
        application.decided_by = by
        application.decision_message = message
        application.save(
            update_fields=["status", "decided_at", "decided_by", "decision_message", "updated_at"]
        )
        if decision == Application.Status.ACCEPTED:
            incubation_start(application=application, by=by, started_on=timezone.localdate(now))
        _decision_mail(application)
    return application
