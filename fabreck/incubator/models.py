"""The incubator: calls for applications, applications by founding teams, fair reviews by
a jury, cohorts of incubated startups going through phases with milestones, mentors and
their sessions, and quarterly KPIs.

Invariants the database holds on its own:
- a call closes after it opens; a criterion weighs more than nothing; a call's scale is
  at least 1 point;
- a founder applies once per call; a submitted application has its submission time and a
  decided one its decision time; statuses and stages are known ones;
- a reviewer is assigned once per application; a reviewer who declared a conflict gives
  no scores and says why; a score is not negative and is given once per criterion;
- an organisation is incubated once; a startup that left has its leaving date, which is
  not before its start; hosting has a monthly fee that is not negative;
- a mentor session lasts more than nothing; a KPI update is given once per quarter and
  startup, its quarter is 1 to 4, and headcount, revenue, funds and customers are never
  negative.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.files.storage import storages
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from fabreck.core.i18n import localized
from fabreck.core.models import TimeStampedModel


def private_storage():
    """Pitch decks, answers given as files and milestone evidence: read through a view
    that checks who asks, never under MEDIA_URL."""
    return storages["private"]


# --- Cohorts and calls ---------------------------------------------------------------------


class Cohort(TimeStampedModel):
    """A group of startups admitted together, usually one per year."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    starts_on = models.DateField(_("starts on"))
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("cohort")
        verbose_name_plural = _("cohorts")
        ordering = ["-starts_on", "name"]

    def __str__(self) -> str:
        return self.name


class IncubatorCall(TimeStampedModel):
    """A call for applications: it belongs to a cohort, opens and closes at set times, and
    carries its questions and the criteria the jury scores."""

    cohort = models.ForeignKey(
        Cohort, on_delete=models.PROTECT, related_name="calls", verbose_name=_("cohort")
    )
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_fr = models.CharField(_("title (French)"), max_length=200, blank=True)
    title_de = models.CharField(_("title (German)"), max_length=200, blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_de = models.TextField(_("description (German)"), blank=True)
    eligibility_en = models.TextField(_("eligibility (English)"), blank=True)
    eligibility_fr = models.TextField(_("eligibility (French)"), blank=True)
    eligibility_de = models.TextField(_("eligibility (German)"), blank=True)
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    # Every criterion is scored from 0 to this many points.
    score_max = models.PositiveSmallIntegerField(
        _("highest score"), default=5, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    published = models.BooleanField(_("published"), default=False)
    # Until the manager closes the review round, a reviewer sees only their own scores.
    review_closed_at = models.DateTimeField(_("review round closed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("call for applications")
        verbose_name_plural = _("calls for applications")
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")), name="incubator_call_closes_after_open"
            ),
            models.CheckConstraint(
                condition=Q(score_max__gte=1), name="incubator_call_scale_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return localized(self, "title")

    @property
    def description(self) -> str:
        return localized(self, "description")

    @property
    def eligibility(self) -> str:
        return localized(self, "eligibility")

    def is_open_at(self, moment) -> bool:
        return self.published and self.opens_at <= moment < self.closes_at


class QuestionKind(models.TextChoices):
    SHORT_TEXT = "short_text", _("Short text")
    LONG_TEXT = "long_text", _("Long text")
    CHOICE = "choice", _("Choice")
    NUMBER = "number", _("Number")
    FILE = "file", _("File")


class Question(models.Model):
    """A question of a call, beyond the fields every application has."""

    Kind = QuestionKind

    call = models.ForeignKey(
        IncubatorCall, on_delete=models.CASCADE, related_name="questions", verbose_name=_("call")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=12, choices=QuestionKind.choices)
    label_en = models.CharField(_("question (English)"), max_length=300)
    label_fr = models.CharField(_("question (French)"), max_length=300, blank=True)
    label_de = models.CharField(_("question (German)"), max_length=300, blank=True)
    help_text = models.CharField(_("help text"), max_length=300, blank=True)
    # For a choice: the options, one per line, in the call's languages as the manager
    # writes them ("Yes / Oui / Ja" is fine).
    choices = models.TextField(_("options (one per line)"), blank=True)
    required = models.BooleanField(_("required"), default=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["call", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=QuestionKind.values), name="incubator_question_kind_known"
            ),
            models.CheckConstraint(
                condition=~Q(kind="choice") | ~Q(choices=""),
                name="incubator_question_choice_has_options",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return localized(self, "label")

    @property
    def options(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class Criterion(models.Model):
    """What the jury scores, with its weight in the ranking."""

    call = models.ForeignKey(
        IncubatorCall, on_delete=models.CASCADE, related_name="criteria", verbose_name=_("call")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    label_en = models.CharField(_("criterion (English)"), max_length=200)
    label_fr = models.CharField(_("criterion (French)"), max_length=200, blank=True)
    label_de = models.CharField(_("criterion (German)"), max_length=200, blank=True)
    description = models.CharField(_("what the jury looks at"), max_length=500, blank=True)
    weight = models.DecimalField(
        _("weight"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.01"))],
    )

    class Meta:
        verbose_name = _("scoring criterion")
        verbose_name_plural = _("scoring criteria")
        ordering = ["call", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gt=0), name="incubator_criterion_weight_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return localized(self, "label")


# --- Applications ----------------------------------------------------------------------------


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted")
    WAITLISTED = "waitlisted", _("Waitlisted")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


DECISION_STATUSES = ("accepted", "waitlisted", "declined")
# The moves an application may make: a waitlisted one may still be accepted or declined.
APPLICATION_TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"submitted", "withdrawn"}),
    "submitted": frozenset({"accepted", "waitlisted", "declined", "withdrawn"}),
    "waitlisted": frozenset({"accepted", "declined", "withdrawn"}),
    "accepted": frozenset(),
    "declined": frozenset(),
    "withdrawn": frozenset(),
}


class StartupStage(models.TextChoices):
    IDEA = "idea", _("Idea")
    PROTOTYPE = "prototype", _("Prototype")
    FIRST_CUSTOMERS = "first_customers", _("First customers")
    GROWTH = "growth", _("Growth")


class Application(TimeStampedModel):
    """A founding team's application to a call. The applicant owns it; the founders listed
    are the team."""

    Status = ApplicationStatus

    call = models.ForeignKey(
        IncubatorCall,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("call"),
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="incubator_applications",
        verbose_name=_("applicant"),
    )
    # An existing organisation of the applicant's, or none: acceptance creates it.
    organisation = models.ForeignKey(
        "cluster.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="incubator_applications",
        verbose_name=_("organisation"),
    )
    startup_name = models.CharField(_("startup name"), max_length=200)
    sector = models.ForeignKey(
        "cluster.Sector", on_delete=models.PROTECT, related_name="+", verbose_name=_("sector")
    )
    commune = models.ForeignKey(
        "cluster.Commune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("commune"),
    )
    stage = models.CharField(
        _("stage"), max_length=16, choices=StartupStage.choices, default=StartupStage.IDEA
    )
    idea = models.TextField(_("the idea"), blank=True)
    market = models.TextField(_("the market"), blank=True)
    needs = models.TextField(_("what the team needs"), blank=True)
    needed_competences = models.ManyToManyField(
        "cluster.Competence",
        blank=True,
        related_name="+",
        verbose_name=_("competences the team needs"),
    )
    pitch_deck = models.FileField(
        _("pitch deck"), upload_to="incubator/pitch-decks/", storage=private_storage, blank=True
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.DRAFT,
    )
    # The language the founders read: the decision is e-mailed in it.
    language = models.CharField(_("language"), max_length=8, default="en")
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decision_message = models.TextField(_("message to the founders"), blank=True)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-submitted_at", "-created_at"]
        indexes = [models.Index(fields=["call", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["call", "applicant"], name="incubator_application_once_per_call"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ApplicationStatus.values),
                name="incubator_application_status_known",
            ),
            models.CheckConstraint(
                condition=Q(stage__in=StartupStage.values),
                name="incubator_application_stage_known",
            ),
            models.CheckConstraint(
                condition=Q(status__in=("draft", "withdrawn")) | Q(submitted_at__isnull=False),
                name="incubator_application_submitted_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=DECISION_STATUSES) | Q(decided_at__isnull=False),
                name="incubator_application_decided_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.startup_name} ({self.call})"


class Founder(models.Model):
    """A member of the founding team. The applicant is one; the others may have no account
    yet (they are invited to the startup's organisation on acceptance)."""

    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="founders",
        verbose_name=_("application"),
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"))
    role = models.CharField(_("role in the team"), max_length=120, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account"),
    )

    class Meta:
        verbose_name = _("founder")
        verbose_name_plural = _("founders")
        ordering = ["application", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "email"], name="incubator_founder_once_per_application"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Answer(models.Model):
    """A founding team's answer to one of the call's questions."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="answers", verbose_name=_("application")
    )
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="answers", verbose_name=_("question")
    )
    text = models.TextField(_("answer"), blank=True)
    number = models.DecimalField(
        _("number"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    file = models.FileField(
        _("file"), upload_to="incubator/answers/", storage=private_storage, blank=True
    )

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "question"], name="incubator_answer_once_per_question"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question}: {self.text or self.number or self.file}"


# --- Reviews -----------------------------------------------------------------------------------


class ReviewStatus(models.TextChoices):
    ASSIGNED = "assigned", _("Assigned")
    CONFLICT = "conflict", _("Abstained: conflict of interest")
    SUBMITTED = "submitted", _("Scored")


class Review(TimeStampedModel):
    """A jury member's review of one application: assigned by the manager, then either a
    declared conflict (the reviewer abstains) or a score for each criterion."""

    Status = ReviewStatus

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="reviews", verbose_name=_("application")
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="incubator_reviews",
        verbose_name=_("reviewer"),
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("assigned by"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.ASSIGNED
    )
    conflict_reason = models.CharField(_("conflict of interest"), max_length=500, blank=True)
    comment = models.TextField(_("overall comment"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["application", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "reviewer"], name="incubator_review_once_per_reviewer"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ReviewStatus.values), name="incubator_review_status_known"
            ),
            models.CheckConstraint(
                condition=~Q(status="conflict") | ~Q(conflict_reason=""),
                name="incubator_review_conflict_says_why",
            ),
            models.CheckConstraint(
                condition=~Q(status="submitted") | Q(submitted_at__isnull=False),
                name="incubator_review_submitted_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} → {self.application}"


class Score(models.Model):
    """One criterion's score in a review. The service holds the upper bound (the call's
    scale); the database holds that it is not negative and given once."""

    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, related_name="scores", verbose_name=_("review")
    )
    criterion = models.ForeignKey(
        Criterion, on_delete=models.CASCADE, related_name="scores", verbose_name=_("criterion")
    )
    value = models.PositiveSmallIntegerField(_("score"))
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [
            models.UniqueConstraint(
                fields=["review", "criterion"], name="incubator_score_once_per_criterion"
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="incubator_score_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.value}"


# --- Incubation ------------------------------------------------------------------------------


class Phase(models.TextChoices):
    IDEA_VALIDATION = "idea_validation", _("Idea validation")
    REALISATION = "realisation", _("Realisation and prototyping")
    MARKET = "market", _("Market")
    GRADUATED = "graduated", _("Graduated")
    LEFT = "left", _("Left")


WORKING_PHASES = ("idea_validation", "realisation", "market")
EXIT_PHASES = ("graduated", "left")
# The phases move forward one at a time; a startup may leave from any working phase.
PHASE_TRANSITIONS: dict[str, frozenset[str]] = {
    "idea_validation": frozenset({"realisation", "left"}),
    "realisation": frozenset({"market", "graduated", "left"}),
    "market": frozenset({"graduated", "left"}),
    "graduated": frozenset(),
    "left": frozenset(),
}


class HostingKind(models.TextChoices):
    NONE = "none", _("No hosting")
    DESK = "desk", _("Desk")
    OFFICE = "office", _("Office")


class Incubation(TimeStampedModel):
    """A startup's time in the incubator: the cluster organisation (kind startup) it is,
    the cohort, its phase, and its hosting."""

    Phase = Phase

    organisation = models.OneToOneField(
        "cluster.Organisation",
        on_delete=models.PROTECT,
        related_name="incubation",
        verbose_name=_("startup"),
    )
    cohort = models.ForeignKey(
        Cohort, on_delete=models.PROTECT, related_name="incubations", verbose_name=_("cohort")
    )
    application = models.OneToOneField(
        Application,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="incubation",
        verbose_name=_("application"),
    )
    started_on = models.DateField(_("started on"))
    phase = models.CharField(
        _("phase"), max_length=16, choices=Phase.choices, default=Phase.IDEA_VALIDATION
    )
    phase_since = models.DateField(_("in this phase since"))
    left_on = models.DateField(_("left on"), null=True, blank=True)
    exit_note = models.CharField(_("why and how it left"), max_length=500, blank=True)
    needed_competences = models.ManyToManyField(
        "cluster.Competence",
        blank=True,
        related_name="+",
        verbose_name=_("competences the startup needs"),
    )
    hosting = models.CharField(
        _("hosting"), max_length=8, choices=HostingKind.choices, default=HostingKind.NONE
    )
    hosting_site = models.ForeignKey(
        "fablab.Site",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("hosted at"),
    )
    hosting_monthly_fee = models.DecimalField(
        _("monthly fee (EUR)"), max_digits=8, decimal_places=2, default=Decimal("0.00")
    )

    class Meta:
        verbose_name = _("incubation")
        verbose_name_plural = _("incubations")
        ordering = ["cohort", "organisation__name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(phase__in=Phase.values), name="incubator_incubation_phase_known"
            ),
            models.CheckConstraint(
                condition=(Q(phase__in=EXIT_PHASES) & Q(left_on__isnull=False))
                | (~Q(phase__in=EXIT_PHASES) & Q(left_on__isnull=True)),
                name="incubator_incubation_left_has_date",
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=F("started_on")),
                name="incubator_incubation_leaves_after_start",
            ),
            models.CheckConstraint(
                condition=Q(hosting__in=HostingKind.values),
                name="incubator_incubation_hosting_known",
            ),
            models.CheckConstraint(
                condition=Q(hosting="none") | Q(hosting_site__isnull=False),
                name="incubator_incubation_hosting_has_site",
            ),
            models.CheckConstraint(
                condition=Q(hosting_monthly_fee__gte=0),
                name="incubator_incubation_fee_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.cohort})"

    @property
    def is_running(self) -> bool:
        return self.phase in WORKING_PHASES


class PhaseChange(models.Model):
    """The record of a startup's moves between phases."""

    incubation = models.ForeignKey(
        Incubation,
        on_delete=models.CASCADE,
        related_name="phase_changes",
        verbose_name=_("incubation"),
    )
    from_phase = models.CharField(_("from"), max_length=16, choices=Phase.choices, blank=True)
    to_phase = models.CharField(_("to"), max_length=16, choices=Phase.choices)
    on = models.DateField(_("on"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("phase change")
        verbose_name_plural = _("phase changes")
        ordering = ["incubation", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.incubation}: {self.from_phase} → {self.to_phase}"


class Milestone(TimeStampedModel):
    """A goal of a phase with its due date; done when the startup gives evidence and staff
    (or the startup) mark it so."""

    incubation = models.ForeignKey(
        Incubation, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("startup")
    )
    phase = models.CharField(_("phase"), max_length=16, choices=Phase.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    evidence = models.TextField(_("evidence"), blank=True)
    evidence_file = models.FileField(
        _("evidence file"),
        upload_to="incubator/evidence/",
        storage=private_storage,
        blank=True,
    )

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["incubation", "due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(phase__in=WORKING_PHASES), name="incubator_milestone_working_phase"
            ),
            models.CheckConstraint(
                condition=Q(done_on__isnull=True) | ~Q(evidence="") | ~Q(evidence_file=""),
                name="incubator_milestone_done_has_evidence",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ChecklistItem(models.Model):
    """A to-do of a phase (signed agreement, bank account opened, FabLab safety training)."""

    incubation = models.ForeignKey(
        Incubation, on_delete=models.CASCADE, related_name="checklist", verbose_name=_("startup")
    )
    phase = models.CharField(_("phase"), max_length=16, choices=Phase.choices)
    label = models.CharField(_("item"), max_length=200)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["incubation", "phase", "position", "pk"]

    def __str__(self) -> str:
        return self.label


# --- Mentors -----------------------------------------------------------------------------------


class Mentor(TimeStampedModel):
    """A member of the mentor pool, with the competences they bring."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="mentor",
        verbose_name=_("account"),
    )
    bio = models.TextField(_("short biography"), blank=True)
    competences = models.ManyToManyField(
        "cluster.Competence", related_name="mentors", verbose_name=_("competences")
    )
    active = models.BooleanField(_("takes on startups"), default=True)

    class Meta:
        verbose_name = _("mentor")
        verbose_name_plural = _("mentors")
        ordering = ["user__last_name", "user__first_name", "pk"]

    def __str__(self) -> str:
        return str(self.user)


class MentorSession(TimeStampedModel):
    """A logged mentoring session with a startup."""

    incubation = models.ForeignKey(
        Incubation,
        on_delete=models.CASCADE,
        related_name="mentor_sessions",
        verbose_name=_("startup"),
    )
    mentor = models.ForeignKey(
        Mentor, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("mentor")
    )
    held_on = models.DateField(_("date"))
    hours = models.DecimalField(
        _("hours"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.25")), MaxValueValidator(Decimal("24"))],
    )
    topics = models.TextField(_("topics"))
    next_steps = models.TextField(_("next steps"), blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("logged by"),
    )

    class Meta:
        verbose_name = _("mentor session")
        verbose_name_plural = _("mentor sessions")
        ordering = ["-held_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0), name="incubator_mentor_session_lasts"),
        ]

    def __str__(self) -> str:
        return f"{self.mentor} — {self.incubation} ({self.held_on})"


# --- KPIs ----------------------------------------------------------------------------------------


class StartupStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ACQUIRED = "acquired", _("Acquired")
    CLOSED = "closed", _("Closed")


class KpiUpdate(TimeStampedModel):
    """A startup's figures for one quarter, during incubation and after it left (which is
    how survival is known)."""

    incubation = models.ForeignKey(
        Incubation, on_delete=models.CASCADE, related_name="kpi_updates", verbose_name=_("startup")
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    quarter = models.PositiveSmallIntegerField(
        _("quarter"), validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    headcount = models.IntegerField(_("headcount"), validators=[MinValueValidator(0)])
    revenue = models.DecimalField(
        _("revenue in the quarter (EUR)"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    funds_raised = models.DecimalField(
        _("funds raised in the quarter (EUR)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    customers = models.IntegerField(_("customers"), validators=[MinValueValidator(0)])
    status = models.CharField(
        _("status"), max_length=10, choices=StartupStatus.choices, default=StartupStatus.ACTIVE
    )
    note = models.TextField(_("note"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("submitted by"),
    )

    class Meta:
        verbose_name = _("KPI update")
        verbose_name_plural = _("KPI updates")
        ordering = ["incubation", "-year", "-quarter"]
        constraints = [
            models.UniqueConstraint(
                fields=["incubation", "year", "quarter"], name="incubator_kpi_once_per_quarter"
            ),
            models.CheckConstraint(
                condition=Q(quarter__gte=1, quarter__lte=4), name="incubator_kpi_quarter_known"
            ),
            models.CheckConstraint(
                condition=Q(headcount__gte=0)
                & Q(revenue__gte=0)
                & Q(funds_raised__gte=0)
                & Q(customers__gte=0),
                name="incubator_kpi_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(status__in=StartupStatus.values), name="incubator_kpi_status_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.incubation} {self.year} Q{self.quarter}"


class KpiReminder(models.Model):
    """A reminder sent for a quarter's update: at most one per startup, quarter and kind,
    so overlapping runs of the job send it once."""

    class Kind(models.TextChoices):
        DUE = "due", _("Due")
        LATE = "late", _("Late")

    incubation = models.ForeignKey(
        Incubation, on_delete=models.CASCADE, related_name="kpi_reminders"
    )
    year = models.PositiveSmallIntegerField()
    quarter = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("KPI reminder")
        verbose_name_plural = _("KPI reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["incubation", "year", "quarter", "kind"],
                name="incubator_kpi_reminder_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.incubation} {self.year} Q{self.quarter} ({self.kind})"
