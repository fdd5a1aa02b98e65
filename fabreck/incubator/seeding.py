"""Demo and benchmark data for the incubator (seeder "incubator", order 60: after the
accounts, the cluster and the FabLab, whose makers found the startups and whose sites host
them).

- demo: two past cohorts whose startups graduated or left, with their KPIs after they
  left; a running cohort of eight startups in the three working phases (member
  organisations of kind startup, incubated, with their people, the incubated-startup price
  group and prepaid hours), milestones and checklists, three mentors with competences and
  sessions, quarterly KPI history; one open call for the next cohort with fifteen
  applications (drafts and submitted ones), two reviewers assigned, one conflict declared
  and scores given. The demo maker founds one running startup (their "Quarterly update");
  the incubator manager is the accounts seeder's `incubator-manager@demo.fabreck.lu`.
- large: ten years of calls (one or two a year), about 4,000 applications of which 7 to 10 %
  accepted, reviews with scores, about 300 startups with quarterly KPI history, about 90 %
  of those that left still alive. Written in bulk in one transaction.

Every row keeps the models' rules: one application per founder and call, decisions after
submission, reviews either conflicts with a reason or scores within the call's scale,
phases in PHASE_TRANSITIONS order, KPI updates once per quarter and never negative.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from fabreck.accounts.models import User
from fabreck.cluster.models import (
    Commune,
    Competence,
    NaceClass,
    Organisation,
    OrganisationNace,
    OrganisationPerson,
    Sector,
)
from fabreck.cluster.services import competence_search_token, directory_search_table_deferred
from fabreck.core.seeding import seeder_register
from fabreck.core.text import search_normalize
from fabreck.incubator.models import (
    Application,
    ChecklistItem,
    Cohort,
    Criterion,
    Founder,
    Incubation,
    IncubatorCall,
    KpiUpdate,
    Mentor,
    MentorSession,
    Milestone,
    PhaseChange,
    Question,
    Review,
    Score,
)
from fabreck.incubator.selectors import quarter_last_day, quarter_last_finished, quarters_between

MANAGER_EMAIL = "incubator-manager@demo.fabreck.lu"
FALLBACK_MANAGER_EMAIL = "incubator@fabreck.lu"
DEMO_MAKER_EMAIL = "maker@demo.fabreck.lu"
SEED_DOMAIN = "incubator.demo.fabreck.lu"

CRITERIA = (
    ("Team", "Équipe", "Team", "2"),
    ("Market", "Marché", "Markt", "1.5"),
    ("Innovation", "Innovation", "Innovation", "1"),
    ("Feasibility", "Faisabilité", "Machbarkeit", "1"),
)
WORDS_A = (
    "Pixel", "Loom", "Forge", "Atelier", "Nova", "Lumen", "Kiln", "Vela", "Orbit", "Moss",
    "Cobalt", "Ember", "Fjord", "Grain", "Helio", "Iris", "Juno", "Kite", "Lark", "Mint",
)  # fmt: skip
WORDS_B = (
    "Labs", "Studio", "Works", "Craft", "Design", "Sound", "Print", "Motion", "Textiles",
    "Games", "Objects", "Media", "Wood", "Ceramics", "Light", "Wear",
)  # fmt: skip
IDEAS = (
    "Modular furniture cut on CNC machines from local wood.",
    "Woven textiles that light up, for interior designers.",
    "A 3D-printed prosthetic hand kit for children.",
    "Sound installations for museums, built from recycled speakers.",
    "Ceramic tableware glazed with slag from the Minett's old furnaces.",
    "An indie game studio telling Luxembourg's industrial history.",
    "Laser-cut architectural models for small practices.",
    "Upcycled fashion made from workwear.",
)
CHECKLIST = {
    "idea_validation": (
        "Incubation agreement signed",
        "FabLab safety training",
        "Bank account opened",
    ),
    "realisation": ("Prototype documented", "Intellectual property reviewed"),
    "market": ("Pricing tested with customers", "Sales pipeline set up"),
}  # fmt: skip
MILESTONES = {
    "idea_validation": ("Ten customer interviews", "Value proposition validated"),
    "realisation": ("First working prototype", "Pilot with a customer"),
    "market": ("First paying customers", "Financing round prepared"),
}
MENTORS = (
    ("Claire", "Hoffmann", "fr", "Former head of sales at a design furniture maker."),
    ("Jonas", "Weber", "de", "Hardware engineer; twenty years of product development."),
    ("Sara", "Pereira", "en", "Angel investor and former founder of a media startup."),
)
TOPICS = (
    "Pricing and first offers",
    "Prototype review at the FabLab",
    "Pitch deck and financing options",
    "Hiring the first employee",
    "Protecting the design",
    "Trade fair preparation",
)


@dataclass
class Plan:
    """Rows waiting for their bulk write, with ids handed out here."""

    today: date
    now: datetime
    rng: random.Random
    manager: User
    password: str
    sectors: list[Sector]
    communes: list[Commune]
    competences: list[Competence]
    nace: dict[int, int]
    makers: list[User]
    maker_index: int = 0
    used_slugs: set[str] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)

    def count(self, label: str, n: int) -> None:
        self.counts[label] = self.counts.get(label, 0) + n

    def next_maker(self) -> User:
        maker = self.makers[self.maker_index % len(self.makers)]
        self.maker_index += 1
        return maker


def _aware(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=UTC)


def _user(email: str, first: str, last: str, language: str, password: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create(
            email=email,
            first_name=first,
            last_name=last,
            preferred_language=language,
            password=password,
        )
        from allauth.account.models import EmailAddress

        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def _manager(password: str) -> User:
    manager = User.objects.filter(email=MANAGER_EMAIL).first()
    if manager is not None:
        return manager
    from fabreck.accounts.seeding import DEMO_PASSWORD
    from fabreck.accounts.services import user_create

    manager = User.objects.filter(email=FALLBACK_MANAGER_EMAIL).first()
    return manager or user_create(
        email=FALLBACK_MANAGER_EMAIL,
        password=DEMO_PASSWORD,
        first_name="Ines",
        last_name="Kremer",
        preferred_language="en",
        roles=("incubator_manager",),
    )


def _startup_name(plan: Plan) -> tuple[str, str]:
    for attempt in range(1000):
        name = f"{plan.rng.choice(WORDS_A)} {plan.rng.choice(WORDS_B)}"
        if attempt > 20:
            name = f"{name} {attempt}"
        slug = slugify(name)[:70]
        if slug not in plan.used_slugs and not Organisation.objects.filter(slug=slug).exists():
            plan.used_slugs.add(slug)
            return name, slug
    raise CommandError("Could not find a free startup name.")


# --- calls, applications and reviews ---------------------------------------------------------


@dataclass
class CallSpec:
    cohort: Cohort
    slug: str
    opens: date
    closes: date
    applications: int
    accepted: int
    open_now: bool = False


def _call_make(plan: Plan, spec: CallSpec) -> tuple[IncubatorCall, list[Criterion]]:
    year = spec.cohort.year
    call = IncubatorCall.objects.create(
        cohort=spec.cohort,
        slug=spec.slug,
        title_en=f"Creative startups {year}",
        title_fr=f"Startups créatives {year}",
        title_de=f"Kreative Startups {year}",
        description_en="Three years of support to turn a creative idea into a company.",
        description_fr="Trois ans d'accompagnement pour faire d'une idée une entreprise.",
        description_de="Drei Jahre Begleitung: aus einer Idee wird ein Unternehmen.",
        eligibility_en="Founding teams based in Luxembourg, company less than three years old.",
        eligibility_fr="Équipes fondatrices au Luxembourg, société de moins de trois ans.",
        eligibility_de="Gründerteams in Luxemburg, Unternehmen jünger als drei Jahre.",
        opens_at=_aware(spec.opens, 8),
        closes_at=_aware(spec.closes, 22),
        score_max=5,
        published=True,
        review_closed_at=None if spec.open_now else _aware(spec.closes + timedelta(days=30)),
        created_by=plan.manager,
    )
    criteria = Criterion.objects.bulk_create(
        [
            Criterion(
                call=call,
                position=i,
                label_en=en,
                label_fr=fr,
                label_de=de,
                weight=Decimal(weight),
            )
            for i, (en, fr, de, weight) in enumerate(CRITERIA)
        ]
    )
    Question.objects.bulk_create(
        [
            Question(call=call, position=0, kind="short_text", label_en="Your website",
                     label_fr="Votre site web", label_de="Ihre Website", required=False),
            Question(call=call, position=1, kind="choice", label_en="Full time on the project?",
                     label_fr="À plein temps sur le projet ?", label_de="Vollzeit am Projekt?",
                     choices="Yes / Oui / Ja\nNo / Non / Nein"),
            Question(call=call, position=2, kind="number", label_en="Months of runway",
                     label_fr="Mois de trésorerie", label_de="Monate Liquidität", required=False),
        ]
    )  # fmt: skip
    plan.count("calls", 1)
    return call, criteria


def _applications_make(
    plan: Plan, spec: CallSpec, call: IncubatorCall, criteria: list[Criterion], jury: list[User]
) -> list[Application]:
    """The call's applications; a closed call's are decided (the first `accepted` ones
    accepted, a few waitlisted or withdrawn, the rest declined) and reviewed. Returns the
    accepted ones."""
    rng = plan.rng
    rows: list[Application] = []
    applicants: set[int] = set()
    # One application per founder and call: never more than there are makers.
    for n in range(min(spec.applications, len(plan.makers))):
        applicant = plan.next_maker()
        while applicant.pk in applicants:
            applicant = plan.next_maker()
        applicants.add(applicant.pk)
        name = f"{rng.choice(WORDS_A)} {rng.choice(WORDS_B)}"
        submitted_on = spec.opens + timedelta(
            days=rng.randint(0, max((min(spec.closes, plan.today) - spec.opens).days - 1, 0))
        )
        if spec.open_now:
            status = "draft" if n % 3 == 2 else "submitted"
        elif n < spec.accepted:
            status = "accepted"
        elif rng.random() < 0.04:
            status = "withdrawn"
        elif rng.random() < 0.05:
            status = "waitlisted" if rng.random() < 0.5 else "draft"
        else:
            status = "declined"
        submitted = status not in ("draft",) and not (status == "withdrawn" and rng.random() < 0.5)
        decided = status in ("accepted", "waitlisted", "declined")
        rows.append(
            Application(
                call=call,
                applicant=applicant,
                startup_name=name,
                sector=rng.choice(plan.sectors),
                commune=rng.choice(plan.communes),
                stage=rng.choice(("idea", "prototype", "first_customers")),
                idea=rng.choice(IDEAS),
                market="Designers, architects and shops in the Greater Region.",
                needs="Machine time at the FabLab, a sales mentor, first financing.",
                status=status,
                language=applicant.preferred_language or "en",
                submitted_at=_aware(submitted_on, 12) if submitted else None,
                decided_at=_aware(spec.closes + timedelta(days=40), 9) if decided else None,
                decided_by=plan.manager if decided else None,
                created_at=_aware(submitted_on, 9),
                updated_at=_aware(submitted_on, 12),
            )
        )
    created = Application.objects.bulk_create(rows, batch_size=2000)
    if not created or created[0].pk is None:  # SQLite before 3.35 gives no ids back
        created = list(Application.objects.filter(call=call).order_by("pk"))
    Founder.objects.bulk_create(
        [
            Founder(
                application=a,
                name=a.applicant.get_full_name() or a.applicant.email,
                email=a.applicant.email,
                role="CEO",
                user=a.applicant,
            )
            for a in created
        ],
        batch_size=2000,
    )
    plan.count("applications", len(created))
    _reviews_make(plan, call, criteria, jury, [a for a in created if a.submitted_at], spec)
    return [a for a in created if a.status == "accepted"]


def _reviews_make(
    plan: Plan,
    call: IncubatorCall,
    criteria: list[Criterion],
    jury: list[User],
    applications: list[Application],
    spec: CallSpec,
) -> None:
    rng = plan.rng
    reviews: list[Review] = []
    quality: list[float] = []
    for index, application in enumerate(applications):
        reviewers = rng.sample(jury, min(len(jury), 2 if len(jury) <= 3 else 3))
        # Accepted teams scored well, declined ones less so.
        base = 4.2 if application.status == "accepted" else rng.uniform(1.0, 3.8)
        for r_index, reviewer in enumerate(reviewers):
            if spec.open_now and index % 4 == 3:
                status = "assigned"  # still to do
            elif (spec.open_now and index == 1 and r_index == 0) or rng.random() < 0.04:
                status = "conflict"
            else:
                status = "submitted"
            reviews.append(
                Review(
                    application=application,
                    reviewer=reviewer,
                    assigned_by=plan.manager,
                    status=status,
                    conflict_reason="I advised this team before." if status == "conflict" else "",
                    comment="Strong team, the market needs more work."
                    if status == "submitted"
                    else "",
                    submitted_at=application.submitted_at + timedelta(days=10)
                    if status != "assigned"
                    else None,
                )
            )
            quality.append(base)
    reviews = Review.objects.bulk_create(reviews, batch_size=2000)
    if reviews and reviews[0].pk is None:
        reviews = list(Review.objects.filter(application__call=call).order_by("pk"))
    scores = [
        Score(
            review=review,
            criterion=criterion,
            value=max(0, min(call.score_max, round(level + rng.uniform(-1.2, 1.2)))),
        )
        for review, level in zip(reviews, quality, strict=True)
        if review.status == "submitted"
        for criterion in criteria
    ]
    Score.objects.bulk_create(scores, batch_size=5000)
    plan.count("reviews", len(reviews))
    plan.count("scores", len(scores))


# --- startups ----------------------------------------------------------------------------------


@dataclass
class StartupFate:
    started_on: date
    phase: str
    phase_dates: list[tuple[str, date]]  # the moves, first one the start
    left_on: date | None
    closed_on: date | None  # closed after leaving (or while incubated: left)
    acquired_on: date | None


def _fate(plan: Plan, started_on: date, *, force_phase: str | None = None) -> StartupFate:
    """A startup's story: about a year per phase, most graduate, some leave early; of those
    that left, about 90 % still alive."""
    rng = plan.rng
    today = plan.today
    moves = [("idea_validation", started_on)]
    if force_phase is not None:
        # A running startup in the phase it is given, its moves spread over its time so far.
        order = ["idea_validation", "realisation", "market"]
        steps = order.index(force_phase)
        span = max((today - started_on).days - 10, steps + 1)
        for k in range(1, steps + 1):
            moves.append((order[k], started_on + timedelta(days=span * k // (steps + 1))))
        return StartupFate(
            started_on=started_on, phase=force_phase, phase_dates=moves, left_on=None,
            closed_on=None, acquired_on=None,
        )  # fmt: skip
    day = started_on
    leaves_early = rng.random() < 0.12
    for phase in ("realisation", "market"):
        day = day + timedelta(days=rng.randint(300, 420))
        if day >= today:
            break
        if leaves_early and rng.random() < 0.5:
            break
        moves.append((phase, day))
    left_on = closed_on = acquired_on = None
    exit_day = moves[-1][1] + timedelta(days=rng.randint(300, 420))
    if exit_day < today and (moves[-1][0] != "idea_validation" or leaves_early):
        graduated = moves[-1][0] in ("realisation", "market") and not leaves_early
        moves.append(("graduated" if graduated else "left", exit_day))
        left_on = exit_day
        fate = rng.random()
        if fate < (0.07 if graduated else 0.35):
            closed_on = exit_day + timedelta(days=rng.randint(90, 1400))
        elif fate > 0.9:
            acquired_on = exit_day + timedelta(days=rng.randint(200, 1400))
    return StartupFate(
        started_on=started_on,
        phase=moves[-1][0],
        phase_dates=moves,
        left_on=left_on,
        closed_on=closed_on if closed_on and closed_on < today else None,
        acquired_on=acquired_on if acquired_on and acquired_on < today else None,
    )


def _startups_make(
    plan: Plan,
    accepted: list[Application],
    cohort: Cohort,
    *,
    phases: list[str] | None = None,
    owners: dict[int, User] | None = None,
) -> list[tuple[Incubation, StartupFate]]:
    """Organisations (kind startup, member), their people, incubations with their moves,
    milestones and checklists; running ones get the price group and prepaid hours."""
    rng = plan.rng
    organisations, fates = [], []
    for index, application in enumerate(accepted):
        force = phases[index % len(phases)] if phases else None
        fate = _fate(plan, cohort.starts_on + timedelta(days=rng.randint(0, 20)), force_phase=force)
        fates.append(fate)
        name, slug = _startup_name(plan)
        application.startup_name = name
        competences = rng.sample(plan.competences, min(3, len(plan.competences)))
        description = f"{name}: {application.idea}"
        organisations.append(
            Organisation(
                name=name,
                slug=slug,
                kind="startup",
                size_band="2-9",
                headcount=rng.randint(1, 6),
                founded_year=fate.started_on.year,
                locality=application.commune.name,
                commune=application.commune,
                email=f"hello@{slug}.lu",
                website=f"https://{slug}.lu",
                description_en=description,
                status="member",
                status_changed_at=_aware(fate.started_on),
                member_since=fate.started_on,
                directory_consent=True,
                incubated=fate.left_on is None,
                search_name=search_normalize(name),
                search_competences="".join(
                    f"{competence_search_token(c.pk)} "
                    for c in sorted(competences, key=lambda c: c.pk)
                ),
                search_description=search_normalize(description),
            )
        )
        application._competences = competences  # type: ignore[attr-defined]
    with directory_search_table_deferred():
        Organisation.objects.bulk_create(organisations, batch_size=2000)
        ids = dict(
            Organisation.objects.filter(slug__in=[o.slug for o in organisations]).values_list(
                "slug", "pk"
            )
        )
        for organisation in organisations:
            organisation.pk = ids[organisation.slug]
        Organisation.sectors.through.objects.bulk_create(
            [
                Organisation.sectors.through(organisation_id=o.pk, sector_id=a.sector_id)
                for o, a in zip(organisations, accepted, strict=True)
            ]
        )
        Organisation.competences.through.objects.bulk_create(
            [
                Organisation.competences.through(organisation_id=o.pk, competence_id=c.pk)
                for o, a in zip(organisations, accepted, strict=True)
                for c in a._competences  # type: ignore[attr-defined]
            ]
        )
        OrganisationNace.objects.bulk_create(
            [
                OrganisationNace(
                    organisation_id=o.pk,
                    nace_class_id=plan.nace.get(a.sector_id) or next(iter(plan.nace.values())),
                    is_primary=True,
                )
                for o, a in zip(organisations, accepted, strict=True)
            ]
        )
    people = []
    for organisation, application in zip(organisations, accepted, strict=True):
        owner = (owners or {}).get(application.pk, application.applicant)
        people.append(OrganisationPerson(organisation=organisation, user=owner, role="owner"))
        if owner.pk != application.applicant_id:
            people.append(
                OrganisationPerson(
                    organisation=organisation, user=application.applicant, role="admin"
                )
            )
    OrganisationPerson.objects.bulk_create(people, batch_size=2000, ignore_conflicts=True)
    for application, organisation in zip(accepted, organisations, strict=True):
        application.organisation = organisation
    Application.objects.bulk_update(accepted, ["organisation", "startup_name"], batch_size=2000)

    incubations = Incubation.objects.bulk_create(
        [
            Incubation(
                organisation=organisation,
                cohort=cohort,
                application=application,
                started_on=fate.started_on,
                phase=fate.phase,
                phase_since=fate.phase_dates[-1][1],
                left_on=fate.left_on,
                exit_note=(
                    "Graduated with its first customers."
                    if fate.phase == "graduated"
                    else "The founders chose to stop."
                    if fate.phase == "left"
                    else ""
                ),
                hosting="none",
            )
            for organisation, application, fate in zip(organisations, accepted, fates, strict=True)
        ],
        batch_size=2000,
    )
    if incubations and incubations[0].pk is None:
        by_org = {i.organisation_id: i for i in Incubation.objects.filter(cohort=cohort)}
        incubations = [by_org[o.pk] for o in organisations]
    changes, milestones, checklist = [], [], []
    for incubation, fate in zip(incubations, fates, strict=True):
        previous = ""
        for phase, on in fate.phase_dates:
            changes.append(
                PhaseChange(
                    incubation=incubation,
                    from_phase=previous,
                    to_phase=phase,
                    on=on,
                    by=plan.manager,
                )
            )
            previous = phase
        for phase, on in fate.phase_dates:
            if phase not in MILESTONES:
                continue
            for i, title in enumerate(MILESTONES[phase]):
                due = on + timedelta(days=120 * (i + 1))
                done = due - timedelta(days=rng.randint(-20, 30))
                is_done = done < plan.today and (phase != fate.phase or rng.random() < 0.5)
                milestones.append(
                    Milestone(
                        incubation=incubation,
                        phase=phase,
                        title=title,
                        due_on=due,
                        done_on=done if is_done else None,
                        evidence="Report shared with the incubator." if is_done else "",
                    )
                )
            for i, label in enumerate(CHECKLIST[phase]):
                finished = phase != fate.phase or rng.random() < 0.6
                checklist.append(
                    ChecklistItem(
                        incubation=incubation,
                        phase=phase,
                        label=label,
                        position=i,
                        done_at=_aware(on + timedelta(days=30 + 10 * i)) if finished else None,
                        done_by=plan.manager if finished else None,
                    )
                )
    PhaseChange.objects.bulk_create(changes, batch_size=5000)
    Milestone.objects.bulk_create(milestones, batch_size=5000)
    ChecklistItem.objects.bulk_create(checklist, batch_size=5000)
    plan.count("startups", len(incubations))
    plan.count("milestones", len(milestones))
    return list(zip(incubations, fates, strict=True))


def _running_benefits(plan: Plan, incubations: list[Incubation]) -> None:
    """The incubated-startup price group and the prepaid hours, through the FabLab's
    services (as incubation_start gives them)."""
    from django.conf import settings

    from fabreck.fablab.models import PriceGroup
    from fabreck.fablab.services import organisation_price_group_set, prepaid_hours_grant

    group = PriceGroup.objects.filter(slug="incubated-startup").first()
    hours = Decimal(settings.INCUBATOR_PREPAID_HOURS)
    for incubation in incubations:
        if group is not None:
            organisation_price_group_set(
                organisation=incubation.organisation, price_group=group, note="Incubated startup"
            )
        if hours > 0:
            prepaid_hours_grant(
                organisation=incubation.organisation,
                hours=hours,
                by=plan.manager,
                note=f"Incubator grant: {incubation.cohort.name}",
            )


def _hosting_set(incubations: list[Incubation]) -> None:
    """A desk or an office at a FabLab site for a few running startups."""
    from fabreck.fablab.models import Site

    sites = list(Site.objects.order_by("pk")[:2])
    if not sites:
        return
    offers = (
        ("desk", Decimal("150.00")),
        ("office", Decimal("650.00")),
        ("desk", Decimal("150.00")),
    )
    for n, incubation in enumerate(incubations):
        kind, fee = offers[n % len(offers)]
        Incubation.objects.filter(pk=incubation.pk).update(
            hosting=kind, hosting_site=sites[n % len(sites)], hosting_monthly_fee=fee
        )


def _kpis_make(plan: Plan, startups: list[tuple[Incubation, StartupFate]]) -> None:
    """Quarterly updates from the quarter each startup started in to the last finished one
    (or three years after it left, or until it closed), now and then one missing."""
    rng = plan.rng
    last = quarter_last_finished(plan.today)
    rows = []
    for incubation, fate in startups:
        headcount = rng.randint(1, 3)
        revenue = Decimal(rng.randint(0, 3000))
        customers = rng.randint(0, 3)
        end = last
        if fate.left_on is not None:
            exit_end = (fate.left_on.year + 3, (fate.left_on.month - 1) // 3 + 1)
            end = min(end, exit_end)
        for year, quarter in quarters_between(
            (fate.started_on.year, (fate.started_on.month - 1) // 3 + 1), end
        ):
            ends_on = quarter_last_day(year, quarter)
            status = "active"
            if fate.closed_on and ends_on >= fate.closed_on:
                status = "closed"
            elif fate.acquired_on and ends_on >= fate.acquired_on:
                status = "acquired"
            missing = rng.random() < (0.05 if fate.left_on is None else 0.12)
            is_last = (year, quarter) == last
            if missing and not is_last and status != "closed":
                continue
            if is_last and incubation.pk % 4 == 0 and status == "active":
                continue  # a quarter of them have not reported yet: the reminders' work
            grow = 1.0 + rng.uniform(-0.05, 0.12)
            headcount = max(1, round(headcount * grow + (rng.random() < 0.3)))
            revenue = (
                revenue * Decimal(str(round(grow + 0.05, 2))) + rng.randint(0, 4000)
            ).quantize(Decimal("0.01"))
            customers = max(0, customers + rng.randint(0, 4))
            funds = Decimal(rng.choice((0, 0, 0, 0, 25000, 50000, 150000, 400000)))
            if status == "closed":
                headcount, revenue, customers, funds = 0, Decimal("0"), 0, Decimal("0")
            rows.append(
                KpiUpdate(
                    incubation=incubation,
                    year=year,
                    quarter=quarter,
                    headcount=headcount,
                    revenue=revenue,
                    funds_raised=funds,
                    customers=customers,
                    status=status,
                    submitted_by_id=incubation.application.applicant_id,
                    created_at=_aware(ends_on + timedelta(days=rng.randint(3, 30))),
                    updated_at=_aware(ends_on + timedelta(days=rng.randint(3, 30))),
                )
            )
            if status == "closed":
                break
    KpiUpdate.objects.bulk_create(rows, batch_size=5000)
    plan.count("KPI updates", len(rows))


def _mentors_make(plan: Plan, running: list[Incubation], *, count: int) -> None:
    rng = plan.rng
    mentors = []
    for n in range(count):
        first, last, language, bio = MENTORS[n % len(MENTORS)]
        user = _user(
            f"mentor-{n + 1}@{SEED_DOMAIN}",
            first,
            last if n < len(MENTORS) else f"{last} {n + 1}",
            language,
            plan.password,
        )
        mentor = Mentor.objects.create(user=user, bio=bio)
        mentor.competences.set(rng.sample(plan.competences, min(4, len(plan.competences))))
        mentors.append(mentor)
    sessions = []
    for incubation in running:
        for _ in range(rng.randint(1, 4)):
            held = incubation.started_on + timedelta(
                days=rng.randint(10, max(11, (plan.today - incubation.started_on).days - 1))
            )
            if held >= plan.today:
                continue
            mentor = rng.choice(mentors)
            sessions.append(
                MentorSession(
                    incubation=incubation,
                    mentor=mentor,
                    held_on=held,
                    hours=Decimal(rng.choice(("1", "1.5", "2", "3"))),
                    topics=rng.choice(TOPICS),
                    next_steps="Send the revised offer before the next session.",
                    logged_by=mentor.user,
                )
            )
    MentorSession.objects.bulk_create(sessions, batch_size=2000)
    plan.count("mentors", len(mentors))
    plan.count("mentor sessions", len(sessions))


# --- the seeder ----------------------------------------------------------------------------------


def _plan(rng: random.Random) -> Plan:
    from fabreck.accounts.seeding import DEMO_PASSWORD, MAKERS_DOMAIN

    password = make_password(DEMO_PASSWORD)
    makers = list(
        User.objects.filter(email__endswith=f"@{MAKERS_DOMAIN}")
        .only("pk", "email", "first_name", "last_name", "preferred_language")
        .order_by("pk")
    )
    if not makers:
        raise CommandError("Seed the accounts first: makers found the startups.")
    sectors = list(Sector.objects.order_by("pk"))
    communes = list(Commune.objects.order_by("pk"))
    if not sectors or not communes:
        raise CommandError("The cluster's taxonomy (sectors, communes) is missing.")
    nace = {}
    for sector_id, nace_id in (
        NaceClass.objects.filter(nacesector__link="core")
        .values_list("nacesector__sector", "pk")
        .order_by("code")
    ):
        nace.setdefault(sector_id, nace_id)
    if not nace:
        first = NaceClass.objects.order_by("code").values_list("pk", flat=True).first()
        nace = {s.pk: first for s in sectors}
    return Plan(
        today=timezone.localdate(),
        now=timezone.now(),
        rng=rng,
        manager=_manager(password),
        password=password,
        sectors=sectors,
        communes=communes,
        competences=list(Competence.objects.order_by("pk")[:200]),
        nace=nace,
        makers=makers,
    )


def _cohort(year: int, starts_on: date) -> Cohort:
    return Cohort.objects.create(
        name=f"Cohort {year}",
        slug=f"cohort-{year}",
        year=year,
        starts_on=starts_on,
        description=f"The startups admitted in {year}.",
    )


def _demo(plan: Plan) -> None:
    today = plan.today
    jury = [
        _user(f"jury-{n}@{SEED_DOMAIN}", first, last, lang, plan.password)
        for n, (first, last, lang) in enumerate(
            (("Anne", "Thill", "fr"), ("Marc", "Reuter", "de")), start=1
        )
    ]
    maker = User.objects.filter(email=DEMO_MAKER_EMAIL).first()
    all_startups: list[tuple[Incubation, StartupFate]] = []
    running: list[Incubation] = []
    for years_ago, accepted, phases in (
        (5, 3, None),
        (4, 3, None),
        (1, 8, list(("idea_validation", "realisation", "market"))),
    ):
        year = today.year - years_ago
        cohort = _cohort(year, date(year, 3, 1))
        spec = CallSpec(
            cohort=cohort,
            slug=f"call-{year}",
            opens=date(year - 1, 10, 1),
            closes=date(year - 1, 12, 15),
            applications=accepted * 4 + 2,
            accepted=accepted,
        )
        call, criteria = _call_make(plan, spec)
        admitted = _applications_make(plan, spec, call, criteria, jury)
        owners = {admitted[0].pk: maker} if maker and phases else None
        startups = _startups_make(plan, admitted, cohort, phases=phases, owners=owners)
        if phases is None:
            # The past cohorts have all left by now.
            for incubation, fate in startups:
                if fate.left_on is None:
                    exit_phase = "left" if fate.phase == "idea_validation" else "graduated"
                    fate.phase, fate.left_on = (
                        exit_phase,
                        min(today - timedelta(days=30), fate.started_on + timedelta(days=1000)),
                    )
                    fate.phase_dates.append((exit_phase, fate.left_on))
                    Incubation.objects.filter(pk=incubation.pk).update(
                        phase=exit_phase, phase_since=fate.left_on, left_on=fate.left_on,
                        exit_note="Left at the end of the programme.",
                    )  # fmt: skip
                    PhaseChange.objects.create(
                        incubation=incubation, from_phase=incubation.phase, to_phase=exit_phase,
                        on=fate.left_on, by=plan.manager,
                    )  # fmt: skip
                    incubation.phase, incubation.left_on = exit_phase, fate.left_on
                    Organisation.objects.filter(pk=incubation.organisation_id).update(
                        incubated=False
                    )
        else:
            running = [i for i, _fate_ in startups]
        all_startups += startups
    _running_benefits(plan, running)
    _hosting_set(running[:3])
    _kpis_make(plan, all_startups)
    _mentors_make(plan, running, count=3)
    # The next cohort's call, open now, with fifteen applications.
    year = today.year + 1 if today.month >= 6 else today.year
    cohort = _cohort(year, date(year, 9, 1) if today.month < 6 else date(year, 3, 1))
    spec = CallSpec(
        cohort=cohort,
        slug=f"call-{year}-open",
        opens=today - timedelta(days=20),
        closes=today + timedelta(days=40),
        applications=15,
        accepted=0,
        open_now=True,
    )
    call, criteria = _call_make(plan, spec)
    _applications_make(plan, spec, call, criteria, jury)


def _large(plan: Plan, stdout) -> None:
    rng = plan.rng
    today = plan.today
    jury = [
        _user(f"jury-{n}@{SEED_DOMAIN}", rng.choice(("Anne", "Marc", "Léa", "Sven")), f"Jury {n}",
              rng.choice(("fr", "de", "en")), plan.password)
        for n in range(1, 16)
    ]  # fmt: skip
    all_startups: list[tuple[Incubation, StartupFate]] = []
    running: list[Incubation] = []
    target_apps, target_startups = LARGE_APPLICATIONS, LARGE_STARTUPS
    # Ten cohorts up to this year's (started in March), its startups validating their idea.
    first = today.year - LARGE_YEARS + (1 if today >= date(today.year, 3, 1) else 0)
    years = list(range(first, first + LARGE_YEARS))
    per_year_apps = target_apps // len(years)
    per_year_startups = target_startups // len(years)
    for year in years:
        cohort = _cohort(year, date(year, 3, 1))
        calls = 2 if year % 2 == 0 else 1
        for c in range(calls):
            accepted = per_year_startups // calls + (per_year_startups % calls if c == 0 else 0)
            spec = CallSpec(
                cohort=cohort,
                slug=f"call-{year}-{c + 1}",
                opens=date(year - 1, 6 + 3 * c, 1),
                closes=date(year - 1, 7 + 3 * c, 28),
                applications=per_year_apps // calls,
                accepted=accepted,
            )
            call, criteria = _call_make(plan, spec)
            admitted = _applications_make(plan, spec, call, criteria, jury)
            startups = _startups_make(plan, admitted, cohort)
            running += [i for i, fate in startups if fate.left_on is None]
            all_startups += startups
    _running_benefits(plan, running)
    _kpis_make(plan, all_startups)
    _mentors_make(plan, running, count=12)


LARGE_YEARS = 10
LARGE_APPLICATIONS = 4000
LARGE_STARTUPS = 300


@seeder_register(name="incubator", order=60)
def seed_incubator(*, scale: str, rng: random.Random, stdout) -> dict[str, int]:
    if Cohort.objects.exists():
        raise CommandError("The incubator is seeded already; run with --fresh to replace it.")
    with transaction.atomic():
        plan = _plan(rng)
        if scale == "large":
            _large(plan, stdout)
        else:
            _demo(plan)
    return plan.counts
