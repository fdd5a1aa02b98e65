"""Forms of the incubator's pages."""

# --- reviews ---
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from fabreck.accounts.models import User
from fabreck.incubator.models import Application, Criterion, IncubatorCall, Review
from fabreck.incubator.selectors import reviewer_by_email, reviewers_previous
from fabreck.incubator.services import ScoreInput


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
