"""Forms of workshops and events. Sections are appended per capability."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from fabreck.cluster.models import Commune
from fabreck.events.models import Audience, EventKind, School
from fabreck.events.selectors import CatalogueFilters

# --- children's profiles (evkids) ----------------------------------------------------------


class ChildForm(forms.Form):
    """A child's profile; the service checks the rules (it has the last word)."""

    first_name = forms.CharField(
        label=_("First name"),
        max_length=80,
        required=False,  # the service says what is missing, in one place
    )
    birth_date = forms.DateField(
        label=_("Birth date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter the birth date as a date, e.g. 2017-03-21.")},
    )
    commune = forms.ModelChoiceField(
        label=_("Commune of residence"),
        queryset=Commune.objects.order_by("name"),
        required=False,
        empty_label=_("Not given"),
        help_text=_("Only used, without the name, in the workshops' statistics."),
    )
    photo_consent = forms.BooleanField(
        label=_("Photos of my child may be taken and published"), required=False
    )
    pickup_persons = forms.CharField(
        label=_("Who may pick the child up"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Names and phone numbers. The staff check them at the end of a workshop."),
    )
    notes = forms.CharField(
        label=_("Notes for the staff"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Allergies, needs, anything useful."),
    )


class StatisticsFilterForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False)
    site = forms.ModelChoiceField(
        label=_("FabLab site"), queryset=None, required=False, empty_label=_("All sites")
    )

    def __init__(self, *args, years: list[int], **kwargs) -> None:
        from fabreck.fablab.models import Site

        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(year, str(year)) for year in years]
        self.fields["site"].queryset = Site.objects.order_by("name")


"""Forms of workshops and events. Sections are appended per capability."""


# --- the catalogue's filters and the staff's event and session forms (evcat) ---------------


PICTURE_MAX_BYTES = 2 * 1024 * 1024
PICTURE_FORMATS = {"PNG", "JPEG", "WEBP"}
MAX_DAYS_AWAY = 366 * 2  # farther dates are typing mistakes
DATE_SLOTS = 10  # hand-picked dates per submission


def _date_param(value: str | None) -> date | None:
    try:
        day = date.fromisoformat((value or "").strip()[:10])
    except ValueError:
        return None
    return day if 2000 <= day.year <= 2100 else None


def catalogue_filters_from(
    params: QueryDict, *, date_from: str = "from", date_to: str = "to"
) -> CatalogueFilters:
    """The catalogue's query string. Unknown or malformed values are dropped, never a 500."""
    kinds = set(EventKind.values)
    try:
        age = int(params.get("age") or "")
    except ValueError:
        age = None
    if age is not None and not 0 <= age <= 120:
        age = None
    try:
        page = max(1, min(int(params.get("page") or 1), 100_000))
    except ValueError:
        page = 1
    return CatalogueFilters(
        kinds=tuple(dict.fromkeys(v for v in params.getlist("kind") if v in kinds)),
        site=(params.get("site") or "")[:50],
        age=age,
        date_from=_date_param(params.get(date_from)),
        date_to=_date_param(params.get(date_to)),
        page=page,
    )


def _local_input(label, **kwargs) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        **kwargs,
    )


class EventForm(forms.Form):
    """An event's details; the service checks them again (ages, course, place, who runs it)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=EventKind.choices)
    title_en = forms.CharField(label=_("Title in English"), max_length=160)
    title_fr = forms.CharField(label=_("Title in French"), max_length=160, required=False)
    title_de = forms.CharField(label=_("Title in German"), max_length=160, required=False)
    description_en = forms.CharField(
        label=_("Description in English"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    description_fr = forms.CharField(
        label=_("Description in French"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    description_de = forms.CharField(
        label=_("Description in German"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    site = forms.ModelChoiceField(
        label=_("FabLab site"),
        queryset=None,
        to_field_name="slug",
        required=False,
        help_text=_("The site whose staff run the event. Cluster events may have none."),
    )
    venue = forms.CharField(
        label=_("Venue"),
        max_length=200,
        required=False,
        help_text=_("Name and address, when the event does not take place at the site."),
    )
    audience = forms.ChoiceField(label=_("Audience"), choices=Audience.choices)
    age_min = forms.IntegerField(label=_("Minimum age"), min_value=0, max_value=120, required=False)
    age_max = forms.IntegerField(label=_("Maximum age"), min_value=0, max_value=120, required=False)
    course = forms.ModelChoiceField(
        label=_("FabLab course"),
        queryset=None,
        to_field_name="slug",
        required=False,
        help_text=_("For a machine training only: passing it authorises the machines."),
    )
    picture = forms.ImageField(
        label=_("Picture"),
        required=False,
        help_text=_("PNG, JPEG or WebP, at most 2 MB."),
        error_messages={
            "invalid_image": _("This file is not an image. Upload a PNG, JPEG or WebP file.")
        },
        validators=[FileExtensionValidator(["png", "jpg", "jpeg", "webp"])],
    )
    picture_clear = forms.BooleanField(label=_("Remove the picture"), required=False)
    accepts_school_classes = forms.BooleanField(
        label=_("School classes may register"), required=False
    )
    members_only = forms.BooleanField(label=_("For cluster members only"), required=False)
    max_per_registrant = forms.IntegerField(
        label=_("Places per person and event"), min_value=1, max_value=50, initial=4
    )
    offer_hours = forms.IntegerField(
        label=_("Hours to claim a freed seat"), min_value=1, max_value=336, initial=24
    )

    def __init__(self, *args, sites, courses, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites
        self.fields["course"].queryset = courses
        self.fields["course"].label_from_instance = lambda course: course.name
        if not editing:
            del self.fields["picture_clear"]

    def clean_picture(self):
        picture = self.cleaned_data.get("picture")
        if picture and picture.size > PICTURE_MAX_BYTES:
            raise ValidationError(_("The image is too large: at most 2 MB."))
        if (
            picture
            and getattr(picture, "image", None)
            and picture.image.format not in (PICTURE_FORMATS)
        ):
            raise ValidationError(_("This file is not an image. Upload a PNG, JPEG or WebP file."))
        return picture

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("picture", None)
        data.pop("picture_clear", None)
        return data


class TicketCategoryForm(forms.Form):
    name_en = forms.CharField(label=_("Name in English"), max_length=80)
    name_fr = forms.CharField(label=_("Name in French"), max_length=80, required=False)
    name_de = forms.CharField(label=_("Name in German"), max_length=80, required=False)
    price = forms.DecimalField(
        label=_("Price (EUR)"),
        min_value=0,
        max_digits=7,
        decimal_places=2,
        initial=0,
        help_text=_("0 when free."),
    )


class _SessionCommonForm(forms.Form):
    start = forms.TimeField(
        label=_("Start time"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    end = forms.TimeField(
        label=_("End time"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    capacity = forms.IntegerField(label=_("Seats"), min_value=1, max_value=10_000)
    opens_at = _local_input(
        _("Registration opens"),
        required=False,
        help_text=_("Leave empty to open registration at once."),
    )
    closes_hours_before = forms.IntegerField(
        label=_("Registration closes (hours before the start)"),
        min_value=0,
        max_value=24 * 60,
        required=False,
        help_text=_("Leave empty to keep registration open until the start."),
    )

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start is not None and end is not None and end <= start:
            self.add_error("end", _("The end must come after the start."))
        return data

    def duration(self) -> timedelta:
        data = self.cleaned_data
        day = date(2000, 1, 3)
        return datetime.combine(day, data["end"]) - datetime.combine(day, data["start"])

    def window(self) -> dict:
        hours = self.cleaned_data.get("closes_hours_before")
        return {
            "opens_at": self.cleaned_data.get("opens_at"),
            "closes_before": timedelta(hours=hours) if hours is not None else None,
        }


def _day_checked(day: date) -> date:
    if abs((day - timezone.localdate()).days) > MAX_DAYS_AWAY:
        raise ValidationError(_("Choose a date within two years from today."))
    return day


class WeeklySessionsForm(_SessionCommonForm):
    first_date = forms.DateField(
        label=_("First date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    weeks = forms.IntegerField(
        label=_("Number of weeks"),
        min_value=1,
        max_value=52,
        initial=10,
        help_text=_("One session a week, same weekday and time."),
    )
    field_order = ["first_date", "start", "end", "weeks", "capacity"]

    def clean_first_date(self) -> date:
        return _day_checked(self.cleaned_data["first_date"])

    def first_starts_at(self) -> datetime:
        return timezone.make_aware(
            datetime.combine(self.cleaned_data["first_date"], self.cleaned_data["start"])
        )


class DateListWidget(forms.Widget):
    """Several <input type="date" name="dates">: the template draws them."""

    def value_from_datadict(self, data, files, name):
        if hasattr(data, "getlist"):
            return [value for value in data.getlist(name) if value.strip()]
        value = data.get(name)
        return value if isinstance(value, list) else [value] if value else []


class DateListField(forms.Field):
    widget = DateListWidget

    def to_python(self, value) -> list[date]:
        days = []
        for raw in value or []:
            try:
                days.append(date.fromisoformat(str(raw).strip()))
            except ValueError as error:
                raise ValidationError(
                    _("“%(value)s” is not a date: use the date picker (YYYY-MM-DD).")
                    % {"value": str(raw)[:20]}
                ) from error
        return days

    def validate(self, value) -> None:
        if not value:
            raise ValidationError(_("Give at least one date."))
        for day in value:
            _day_checked(day)
        if len(set(value)) != len(value):
            raise ValidationError(_("The same date is given twice."))


class DatesSessionsForm(_SessionCommonForm):
    dates = DateListField(label=_("Dates"))
    field_order = ["dates", "start", "end", "capacity"]

    def starts_list(self) -> list[datetime]:
        start = self.cleaned_data["start"]
        return [
            timezone.make_aware(datetime.combine(day, start)) for day in self.cleaned_data["dates"]
        ]


class SessionEditForm(forms.Form):
    capacity = forms.IntegerField(label=_("Seats"), min_value=1, max_value=10_000)
    opens_at = _local_input(
        _("Registration opens"),
        required=False,
        help_text=_("Leave empty to open registration at once."),
    )
    closes_at = _local_input(
        _("Registration closes"),
        required=False,
        help_text=_("Leave empty to keep registration open until the start."),
    )


class SessionMoveForm(forms.Form):
    date = forms.DateField(
        label=_("New date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    start = forms.TimeField(
        label=_("Start time"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    end = forms.TimeField(
        label=_("End time"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )

    def clean(self) -> dict:
        data = super().clean()
        day, start, end = data.get("date"), data.get("start"), data.get("end")
        if day is None or start is None or end is None:
            return data
        try:
            _day_checked(day)
        except ValidationError as error:
            self.add_error("date", error)
            return data
        if end <= start:
            self.add_error("end", _("The end must come after the start."))
            return data
        data["starts_at"] = timezone.make_aware(datetime.combine(day, start))
        data["ends_at"] = timezone.make_aware(datetime.combine(day, end))
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Every registrant receives it by e-mail, with the cancellation."),
    )


# --- registration pages (evweb) -----------------------------------------------------------


def _ticket_field(tickets) -> forms.ChoiceField | None:
    """A choice of ticket when the event has more than one (else the service takes the
    only one, or none for a free event)."""
    if len(tickets) < 2:
        return None
    return forms.ChoiceField(
        label=_("Ticket"),
        choices=[
            (
                str(t.pk),
                f"{t.name} — {_('Free') if t.is_free else f'{t.price} EUR'}",
            )
            for t in tickets
        ],
    )


class ChildrenRegistrationForm(forms.Form):
    """The guardian ticks the children to register for one session."""

    children = forms.MultipleChoiceField(
        label=_("Children"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one child to register.")},
    )

    def __init__(self, *args, children_ages=(), tickets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["children"].choices = [
            (
                str(child.pk),
                ngettext(
                    "%(name)s (%(age)d year old on the day)",
                    "%(name)s (%(age)d years old on the day)",
                    age,
                )
                % {"name": child.first_name, "age": age},
            )
            for child, age in children_ages
        ]
        ticket = _ticket_field(list(tickets))
        if ticket is not None:
            self.fields["ticket_category"] = ticket


class AdultRegistrationForm(forms.Form):
    def __init__(self, *args, tickets=(), **kwargs):
        super().__init__(*args, **kwargs)
        ticket = _ticket_field(list(tickets))
        if ticket is not None:
            self.fields["ticket_category"] = ticket


class SchoolClassForm(forms.Form):
    """A teacher registers a class: its school from the list, or typed in."""

    school = forms.ModelChoiceField(
        label=_("School"),
        queryset=School.objects.select_related("commune").order_by("name"),
        required=False,
        empty_label=_("— not in the list: type it below —"),
    )
    school_name = forms.CharField(label=_("New school: name"), max_length=160, required=False)
    school_commune = forms.ModelChoiceField(
        label=_("New school: commune"),
        queryset=Commune.objects.order_by("name"),
        required=False,
    )
    grade = forms.CharField(
        label=_("Grade or class"), max_length=20, help_text=_("For example C3.1 or 5e.")
    )
    pupils = forms.IntegerField(label=_("Pupils"), min_value=1, max_value=200)
    accompanying_adults = forms.IntegerField(
        label=_("Accompanying adults"), min_value=0, max_value=50, initial=0
    )

    def __init__(self, *args, tickets=(), **kwargs):
        super().__init__(*args, prefix="class", **kwargs)
        ticket = _ticket_field(list(tickets))
        if ticket is not None:
            self.fields["ticket_category"] = ticket

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("school") and not (data.get("school_name") or "").strip():
            self.add_error("school", _("Choose the class's school or type its name."))
        return data
