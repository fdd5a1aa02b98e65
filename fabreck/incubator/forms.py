"""Forms of the incubator's pages."""

# --- startups ---
from django import forms
from django.utils.translation import gettext_lazy as _

from fabreck.accounts.models import User
from fabreck.cluster.models import Competence
from fabreck.fablab.models import Site
from fabreck.incubator.models import (
    PHASE_TRANSITIONS,
    WORKING_PHASES,
    Cohort,
    HostingKind,
    Incubation,
    Mentor,
)
from fabreck.incubator.services import MentorSessionData, MilestoneData

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
