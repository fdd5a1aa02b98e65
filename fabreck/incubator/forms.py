"""Forms of the incubator's pages."""

# --- startups ---
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from fabreck.accounts.models import User
from fabreck.cluster.models import Commune, Competence, Sector
from fabreck.fablab.models import Site
from fabreck.incubator.models import (
    PHASE_TRANSITIONS,
    WORKING_PHASES,
    Application,
    ApplicationStatus,
    Cohort,
    Criterion,
    HostingKind,
    Incubation,
    IncubatorCall,
    Mentor,
    Question,
    QuestionKind,
    Review,
    StartupStage,
    StartupStatus,
)
from fabreck.incubator.selectors import (
    quarter_last_finished,
    quarter_of,
    quarters_between,
    reviewer_by_email,
    reviewers_previous,
)
from fabreck.incubator.services import MentorSessionData, MilestoneData, ScoreInput

_STARTUPS_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
STARTUPS_WORKING_PHASE_CHOICES = [
    (value, label) for value, label in Incubation.Phase.choices if value in WORKING_PHASES
]


class StartupsFilterForm(forms.Form):
    cohort = forms.ChoiceField(label=_("Cohort"), required=False)
    phase = forms.ChoiceField(label=_("Phase"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cohort"].choices = [
            ("", _("All cohorts")),
            *Cohort.objects.values_list("slug", "name"),
        ]
        self.fields["phase"].choices = [
            ("", _("All phases")),
            ("running", _("Running (working phases)")),
            *Incubation.Phase.choices,
        ]

    def filters(self) -> dict[str, str]:
        if not self.is_bound or not self.is_valid():
            return {"cohort": "", "phase": ""}
        return {"cohort": self.cleaned_data["cohort"], "phase": self.cleaned_data["phase"]}


class PhaseMoveForm(forms.Form):
    to_phase = forms.ChoiceField(label=_("Move to"))
    on = forms.DateField(label=_("On"), widget=_STARTUPS_DATE)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the startup graduates or leaves: why and how."),
    )

    def __init__(self, *args, incubation: Incubation, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        allowed = PHASE_TRANSITIONS.get(incubation.phase, frozenset())
        self.fields["to_phase"].choices = [
            (value, label) for value, label in Incubation.Phase.choices if value in allowed
        ]


class MilestoneForm(forms.Form):
    phase = forms.ChoiceField(label=_("Phase"), choices=STARTUPS_WORKING_PHASE_CHOICES)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    due_on = forms.DateField(label=_("Due on"), widget=_STARTUPS_DATE)

    def data_object(self) -> MilestoneData:
        return MilestoneData(
            phase=self.cleaned_data["phase"],
            title=self.cleaned_data["title"],
            due_on=self.cleaned_data["due_on"],
            description=self.cleaned_data.get("description") or "",
        )


class MilestoneEvidenceForm(forms.Form):
    evidence = forms.CharField(
        label=_("Evidence"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What shows the milestone is reached (a link, a summary)."),
    )
    evidence_file = forms.FileField(label=_("Evidence file"), required=False)
    done_on = forms.DateField(label=_("Done on"), required=False, widget=_STARTUPS_DATE)


class ChecklistItemForm(forms.Form):
    phase = forms.ChoiceField(label=_("Phase"), choices=STARTUPS_WORKING_PHASE_CHOICES)
    label = forms.CharField(label=_("Item"), max_length=200)


class HostingForm(forms.Form):
    hosting = forms.ChoiceField(label=_("Hosting"), choices=HostingKind.choices)
    site = forms.ModelChoiceField(
        label=_("Site"), queryset=Site.objects.order_by("name"), required=False
    )
    monthly_fee = forms.DecimalField(
        label=_("Monthly fee (EUR)"), max_digits=8, decimal_places=2, required=False
    )


class NeededCompetencesForm(forms.Form):
    competences = forms.ModelMultipleChoiceField(
        label=_("Competences the startup needs"),
        queryset=Competence.objects.order_by("label_en"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 12}),
    )


class MentorForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail of the mentor's account"),
        help_text=_("The mentor signs up first; then add them here by their e-mail."),
    )
    bio = forms.CharField(
        label=_("Short biography"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    competences = forms.ModelMultipleChoiceField(
        label=_("Competences"),
        queryset=Competence.objects.order_by("label_en"),
        widget=forms.SelectMultiple(attrs={"size": 12}),
    )
    active = forms.BooleanField(label=_("Takes on startups"), required=False, initial=True)

    def __init__(self, *args, mentor: Mentor | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if mentor is not None:
            self.fields["email"].disabled = True
            self.fields["email"].help_text = ""

    def clean_email(self):
        email = self.cleaned_data["email"]
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise forms.ValidationError(_("No account has this e-mail address."))
        self.user = user
        return email


class MentorSessionForm(forms.Form):
    mentor = forms.ModelChoiceField(
        label=_("Mentor"), queryset=Mentor.objects.none(), required=False
    )
    held_on = forms.DateField(label=_("Date"), widget=_STARTUPS_DATE)
    hours = forms.DecimalField(label=_("Hours"), max_digits=5, decimal_places=2)
    topics = forms.CharField(label=_("Topics"), widget=forms.Textarea(attrs={"rows": 3}))
    next_steps = forms.CharField(
        label=_("Next steps"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, choose_mentor: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if choose_mentor:
            self.fields["mentor"].queryset = Mentor.objects.filter(active=True).select_related(
                "user"
            )
            self.fields["mentor"].required = True
        else:
            del self.fields["mentor"]

    def data_object(self) -> MentorSessionData:
        return MentorSessionData(
            held_on=self.cleaned_data["held_on"],
            hours=self.cleaned_data["hours"],
            topics=self.cleaned_data["topics"],
            next_steps=self.cleaned_data.get("next_steps") or "",
        )


# --- calls ---


_LOCAL_DATETIME = "%Y-%m-%dT%H:%M"


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class CallsCohortForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    slug = forms.SlugField(
        label=gettext_lazy("Slug"),
        max_length=80,
        required=False,
        help_text=gettext_lazy("Left empty, it is made from the name."),
    )
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000, max_value=2100)
    starts_on = forms.DateField(
        label=gettext_lazy("Starts on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=_textarea()
    )

    def cohort_data(self):
        from fabreck.incubator.services import CohortData

        return CohortData(**self.cleaned_data)


class CallsCallForm(forms.Form):
    cohort = forms.ModelChoiceField(
        label=gettext_lazy("Cohort"), queryset=Cohort.objects.order_by("-starts_on", "name")
    )
    slug = forms.SlugField(label=gettext_lazy("Slug (in the call's address)"), max_length=80)
    title_en = forms.CharField(label=gettext_lazy("Title (English)"), max_length=200)
    title_fr = forms.CharField(label=gettext_lazy("Title (French)"), max_length=200, required=False)
    title_de = forms.CharField(label=gettext_lazy("Title (German)"), max_length=200, required=False)
    description_en = forms.CharField(
        label=gettext_lazy("Description (English)"), required=False, widget=_textarea()
    )
    description_fr = forms.CharField(
        label=gettext_lazy("Description (French)"), required=False, widget=_textarea()
    )
    description_de = forms.CharField(
        label=gettext_lazy("Description (German)"), required=False, widget=_textarea()
    )
    eligibility_en = forms.CharField(
        label=gettext_lazy("Eligibility (English)"), required=False, widget=_textarea()
    )
    eligibility_fr = forms.CharField(
        label=gettext_lazy("Eligibility (French)"), required=False, widget=_textarea()
    )
    eligibility_de = forms.CharField(
        label=gettext_lazy("Eligibility (German)"), required=False, widget=_textarea()
    )
    opens_at = forms.DateTimeField(
        label=gettext_lazy("Opens at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=_LOCAL_DATETIME),
        help_text=gettext_lazy("Luxembourg time."),
    )
    closes_at = forms.DateTimeField(
        label=gettext_lazy("Closes at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=_LOCAL_DATETIME),
        help_text=gettext_lazy("Luxembourg time. Applications are refused from this moment."),
    )
    score_max = forms.IntegerField(
        label=gettext_lazy("Highest score"),
        min_value=1,
        max_value=100,
        initial=5,
        help_text=gettext_lazy("The jury scores each criterion from 0 to this many points."),
    )
    published = forms.BooleanField(label=gettext_lazy("Published"), required=False)

    @classmethod
    def initial_for(cls, call: IncubatorCall) -> dict:
        return {name: getattr(call, name) for name in cls.base_fields}

    def call_data(self):
        from fabreck.incubator.services import CallData

        return CallData(**self.cleaned_data)


class CallsQuestionForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=QuestionKind.choices)
    label_en = forms.CharField(label=gettext_lazy("Question (English)"), max_length=300)
    label_fr = forms.CharField(
        label=gettext_lazy("Question (French)"), max_length=300, required=False
    )
    label_de = forms.CharField(
        label=gettext_lazy("Question (German)"), max_length=300, required=False
    )
    help_text = forms.CharField(label=gettext_lazy("Help text"), max_length=300, required=False)
    choices = forms.CharField(
        label=gettext_lazy("Options (one per line)"),
        required=False,
        widget=_textarea(4),
        help_text=gettext_lazy("For a choice question only."),
    )
    required = forms.BooleanField(label=gettext_lazy("Required"), required=False, initial=True)

    @classmethod
    def initial_for(cls, question: Question) -> dict:
        return {name: getattr(question, name) for name in cls.base_fields}

    def question_data(self):
        from fabreck.incubator.services import QuestionData

        return QuestionData(**self.cleaned_data)


class CallsCriterionForm(forms.Form):
    label_en = forms.CharField(label=gettext_lazy("Criterion (English)"), max_length=200)
    label_fr = forms.CharField(
        label=gettext_lazy("Criterion (French)"), max_length=200, required=False
    )
    label_de = forms.CharField(
        label=gettext_lazy("Criterion (German)"), max_length=200, required=False
    )
    description = forms.CharField(
        label=gettext_lazy("What the jury looks at"), max_length=500, required=False
    )
    weight = forms.DecimalField(
        label=gettext_lazy("Weight"),
        max_digits=5,
        decimal_places=2,
        min_value=0.01,
        initial=1,
    )

    @classmethod
    def initial_for(cls, criterion) -> dict:
        return {name: getattr(criterion, name) for name in cls.base_fields}

    def criterion_data(self):
        from fabreck.incubator.services import CriterionData

        return CriterionData(**self.cleaned_data)


class CallsStatusFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=[("", gettext_lazy("All")), *list(ApplicationStatus.choices)],
        required=False,
    )


class CallsCompetenceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Competence) -> str:
        return obj.label


class CallsSectorField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Sector) -> str:
        return obj.name


class CallsApplicationForm(forms.Form):
    """The application: the startup, its needs, the call's questions and the pitch deck.
    Nothing is required to save a draft but a name and a sector; the submission checks
    the rest (in the service)."""

    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Existing organisation"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("None: the startup is new"),
        help_text=gettext_lazy("If the startup is already an organisation of yours."),
    )
    startup_name = forms.CharField(label=gettext_lazy("Startup name"), max_length=200)
    sector = CallsSectorField(
        label=gettext_lazy("Sector"), queryset=Sector.objects.order_by("position", "slug")
    )
    commune = forms.ModelChoiceField(
        label=gettext_lazy("Commune"), queryset=Commune.objects.order_by("name"), required=False
    )
    stage = forms.ChoiceField(label=gettext_lazy("Stage"), choices=StartupStage.choices)
    idea = forms.CharField(
        label=gettext_lazy("The idea"), max_length=10000, required=False, widget=_textarea(5)
    )
    market = forms.CharField(
        label=gettext_lazy("The market"), max_length=10000, required=False, widget=_textarea(4)
    )
    needs = forms.CharField(
        label=gettext_lazy("What the team needs"),
        max_length=10000,
        required=False,
        widget=_textarea(3),
    )
    needed_competences = CallsCompetenceField(
        label=gettext_lazy("Competences the team needs"),
        queryset=Competence.objects.filter(is_active=True).order_by("label_en"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=gettext_lazy("Hold Ctrl (or Cmd) to choose several."),
    )
    pitch_deck = forms.FileField(label=gettext_lazy("Pitch deck"), required=False)

    def __init__(self, *args, call: IncubatorCall, user, application=None, **kwargs):
        from django.conf import settings
        from django.db.models import Q

        from fabreck.cluster.models import Organisation
        from fabreck.incubator.selectors import organisations_for_applicant

        super().__init__(*args, **kwargs)
        self.call = call
        organisations = organisations_for_applicant(user=user)
        if application is not None and application.organisation_id:
            # The organisation the applicant chose stays a choice for the whole team.
            organisations = Organisation.objects.filter(
                Q(pk__in=organisations.values("pk")) | Q(pk=application.organisation_id)
            ).order_by("name")
        self.fields["organisation"].queryset = organisations
        if not organisations.exists():
            del self.fields["organisation"]
        accept = ",".join(f".{e}" for e in settings.INCUBATOR_UPLOAD_EXTENSIONS)
        limits = gettext_lazy("Accepted: %(kinds)s; at most %(limit)s MB.") % {
            "kinds": ", ".join(settings.INCUBATOR_UPLOAD_EXTENSIONS),
            "limit": f"{settings.INCUBATOR_UPLOAD_MAX_BYTES / 2**20:.0f}",
        }
        self.fields["pitch_deck"].widget = forms.ClearableFileInput(attrs={"accept": accept})
        self.fields["pitch_deck"].help_text = limits
        self.questions = list(call.questions.all())
        for question in self.questions:
            help_text = question.help_text
            if question.kind == QuestionKind.FILE:
                field = forms.FileField(
                    widget=forms.ClearableFileInput(attrs={"accept": accept}), required=False
                )
                help_text = f"{help_text} {limits}".strip()
            elif question.kind == QuestionKind.CHOICE:
                field = forms.ChoiceField(
                    choices=[("", "—")] + [(option, option) for option in question.options],
                    required=False,
                )
            elif question.kind == QuestionKind.LONG_TEXT:
                field = forms.CharField(required=False, max_length=10000, widget=_textarea(4))
            elif question.kind == QuestionKind.NUMBER:
                field = forms.CharField(
                    required=False,
                    max_length=30,
                    widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                )
            else:
                field = forms.CharField(required=False, max_length=300)
            label = question.label
            if question.required:
                label = gettext_lazy("%(question)s (required)") % {"question": label}
            field.label = label
            field.help_text = help_text
            self.fields[f"q_{question.pk}"] = field

    @staticmethod
    def initial_for(application) -> dict:
        initial = {
            "organisation": application.organisation_id,
            "startup_name": application.startup_name,
            "sector": application.sector_id,
            "commune": application.commune_id,
            "stage": application.stage,
            "idea": application.idea,
            "market": application.market,
            "needs": application.needs,
            "needed_competences": [c.pk for c in application.needed_competences.all()],
        }
        for answer in application.answers.all():
            if answer.number is not None:
                initial[f"q_{answer.question_id}"] = f"{answer.number.normalize():f}"
            elif answer.text:
                initial[f"q_{answer.question_id}"] = answer.text
        return initial

    def application_data(self, founders: list):
        from fabreck.incubator.services import ApplicationData

        data = self.cleaned_data
        answers = {}
        for question in self.questions:
            value = data.get(f"q_{question.pk}")
            if question.kind == QuestionKind.FILE:
                if value is False:  # "clear" ticked
                    answers[question.pk] = None
                elif value:
                    answers[question.pk] = value
            else:
                answers[question.pk] = value or ""
        return ApplicationData(
            startup_name=data["startup_name"],
            sector=data["sector"],
            commune=data.get("commune"),
            stage=data["stage"],
            idea=data.get("idea", ""),
            market=data.get("market", ""),
            needs=data.get("needs", ""),
            needed_competences=list(data.get("needed_competences") or []),
            founders=founders,
            organisation=data.get("organisation"),
            answers=answers,
            pitch_deck=data.get("pitch_deck") or None,
        )


class CallsFounderForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)
    email = forms.EmailField(label=gettext_lazy("E-mail"), required=False)
    role = forms.CharField(label=gettext_lazy("Role in the team"), max_length=120, required=False)


CallsFounderFormSet = forms.formset_factory(CallsFounderForm, extra=3, max_num=10, absolute_max=10)


def calls_founders_from(formset) -> list:
    from fabreck.incubator.services import FounderData

    return [
        FounderData(
            name=form.cleaned_data.get("name", ""),
            email=form.cleaned_data.get("email", ""),
            role=form.cleaned_data.get("role", ""),
        )
        for form in formset.forms
        if form.cleaned_data.get("name") or form.cleaned_data.get("email")
    ]


# --- reviews ---


class ReviewAssignForm(forms.Form):
    """Pick a reviewer (by e-mail, or one who reviewed before) for one application or for
    every submitted application of the call."""

    email = forms.EmailField(
        label=_("Reviewer's e-mail"),
        required=False,
        help_text=_("Any active account of the platform."),
    )
    previous = forms.ModelChoiceField(
        label=_("Or a previous reviewer"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("—"),
    )
    application = forms.ModelChoiceField(
        label=_("Application"),
        queryset=Application.objects.none(),
        required=False,
        empty_label=_("All submitted applications"),
    )

    def __init__(self, *args, call: IncubatorCall, **kwargs):
        super().__init__(*args, **kwargs)
        previous = reviewers_previous()
        self.fields["previous"].queryset = User.objects.filter(pk__in=[u.pk for u in previous])
        self.fields["previous"].choices = [("", _("—"))] + [
            (u.pk, f"{u.get_full_name() or u.email} <{u.email}>") for u in previous
        ]
        self.fields["application"].queryset = Application.objects.filter(
            call=call, status=Application.Status.SUBMITTED
        ).order_by("startup_name", "pk")
        self.fields["application"].label_from_instance = lambda a: a.startup_name

    def clean(self):
        data = super().clean()
        email, previous = data.get("email"), data.get("previous")
        if self.errors:
            return data
        if email:
            reviewer = reviewer_by_email(email=email)
            if reviewer is None:
                raise ValidationError({"email": _("No active account uses this e-mail address.")})
            data["reviewer"] = reviewer
        elif previous:
            data["reviewer"] = previous
        else:
            raise ValidationError(_("Give the reviewer's e-mail or pick a previous reviewer."))
        return data


class ReviewConflictForm(forms.Form):
    reason = forms.CharField(
        label=_("What is the conflict of interest?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("You abstain on this application; this cannot be undone."),
    )


class ReviewScoreForm(forms.Form):
    """One score (0 to the call's scale) and a comment per criterion, and an overall
    comment."""

    def __init__(self, *args, criteria: list[Criterion], score_max: int, review: Review, **kw):
        if not args and "data" not in kw:
            kw.setdefault("initial", self._initial(review))
        super().__init__(*args, **kw)
        self.criteria = criteria
        for criterion in criteria:
            self.fields[f"score_{criterion.pk}"] = forms.IntegerField(
                label=_("%(criterion)s (0 to %(max)s)")
                % {"criterion": criterion.label, "max": score_max},
                min_value=0,
                max_value=score_max,
                help_text=criterion.description,
            )
            self.fields[f"comment_{criterion.pk}"] = forms.CharField(
                label=_("Comment on %(criterion)s") % {"criterion": criterion.label},
                required=False,
                max_length=5000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        self.fields["comment"] = forms.CharField(
            label=_("Overall comment"),
            required=False,
            max_length=5000,
            widget=forms.Textarea(attrs={"rows": 4}),
        )

    @staticmethod
    def _initial(review: Review) -> dict:
        initial = {"comment": review.comment}
        for score in review.scores.all():
            initial[f"score_{score.criterion_id}"] = score.value
            initial[f"comment_{score.criterion_id}"] = score.comment
        return initial

    def score_inputs(self) -> list[ScoreInput]:
        return [
            ScoreInput(
                criterion_id=c.pk,
                value=self.cleaned_data.get(f"score_{c.pk}"),
                comment=self.cleaned_data.get(f"comment_{c.pk}") or "",
            )
            for c in self.criteria
        ]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("accepted", _("Accept")),
            ("waitlisted", _("Waitlist")),
            ("declined", _("Decline")),
        ],
        widget=forms.RadioSelect,
    )
    message = forms.CharField(
        label=_("Message to the founders (optional)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Sent with the decision, in the application's language as you write it."),
    )


# --- kpis ---


KPI_QUARTERS_OFFERED = 12  # the form offers the last three years of quarters


class KpiUpdateForm(forms.Form):
    """A quarter's figures. The limits (not negative, a finished quarter after the start)
    are the service's, so that the page and the API say the same."""

    quarter = forms.ChoiceField(label=_("Quarter"))
    headcount = forms.IntegerField(
        label=_("Headcount"),
        help_text=_("People working for the startup at the end of the quarter, founders included."),
    )
    revenue = forms.DecimalField(
        label=_("Revenue in the quarter (EUR)"), max_digits=14, decimal_places=2
    )
    funds_raised = forms.DecimalField(
        label=_("Funds raised in the quarter (EUR)"),
        max_digits=14,
        decimal_places=2,
        initial=0,
        help_text=_("Equity, loans and grants received during the quarter."),
    )
    customers = forms.IntegerField(label=_("Customers"))
    status = forms.ChoiceField(
        label=_("Status"), choices=StartupStatus.choices, initial=StartupStatus.ACTIVE
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, incubation: Incubation, today=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        today = today or timezone.localdate()
        last = quarter_last_finished(today)
        quarters = list(reversed(quarters_between(quarter_of(incubation.started_on), last)))
        quarters = quarters[:KPI_QUARTERS_OFFERED]
        self.fields["quarter"].choices = [(f"{y}-Q{q}", f"{y} Q{q}") for y, q in quarters]
        if quarters:
            self.fields["quarter"].initial = f"{quarters[0][0]}-Q{quarters[0][1]}"

    def clean_quarter(self) -> tuple[int, int]:
        year, _sep, quarter = self.cleaned_data["quarter"].partition("-Q")
        return int(year), int(quarter)
