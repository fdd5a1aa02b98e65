"""Staff quote a triaged project at its price group's rates; the requester's side accepts
or rejects the current version; bad input is refused with a message and changes nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from fabreck.cluster.models import OrganisationPerson
from fabreck.fablab.models import MakerProfile, PriceGroup, Rate
from fabreck.projects.models import Project, Quote, QuoteLine, StatusChange
from fabreck.projects.services import (
    QuoteLineInput,
    quote_accept,
    quote_reject,
    quote_send,
)
from tests.fablab.helpers import machine_make, site_make
from tests.factories import PASSWORD, UserFactory
from tests.projects.helpers import project_make
from tests.projects.quote_helpers import (
    laser_make,
    material_make,
    quote_make,
    standard_lines,
    triaged_project,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def laser(site):
    return laser_make(site)


@pytest.fixture
def acrylic(site):
    return material_make(site)


def _status(project) -> str:
    return Project.objects.get(pk=project.pk).status


# --- Sending ----------------------------------------------------------------------------------


def test_a_first_quote_prices_each_line_and_makes_the_project_quoted(
    site, staff, laser, acrylic, django_capture_on_commit_callbacks
):
    requester = UserFactory(preferred_language="fr")
    project = triaged_project(site, staff, requested_by=requester)

    with django_capture_on_commit_callbacks(execute=True):
        quote = quote_make(project, staff, standard_lines(laser, acrylic))

    assert (quote.version, quote.status, quote.price_group.slug) == (1, "sent", "cluster-member")
    rows = [
        (line.kind, line.quantity, line.unit, line.unit_price, line.total)
        for line in quote.lines.order_by("position")
    ]
    assert rows == [
        ("machine", Decimal("5.00"), "h", Decimal("40.00"), Decimal("200.00")),
        ("material", Decimal("3.00"), "sheet", Decimal("24.50"), Decimal("73.50")),
        ("staff", Decimal("2.00"), "h", Decimal("55.00"), Decimal("110.00")),
        ("other", Decimal("1.00"), "", Decimal("15.90"), Decimal("15.90")),
    ]
    assert (quote.vat_rate, quote.net_total, quote.vat_total, quote.gross_total) == (
        Decimal("17.00"),
        Decimal("399.40"),
        Decimal("67.90"),
        Decimal("467.30"),
    )
    assert _status(project) == "quoted"
    change = StatusChange.objects.get(project=project)
    assert (change.from_status, change.to_status, change.changed_by) == (
        "requested",
        "quoted",
        staff,
    )
    [message] = [m for m in mail.outbox if requester.email in m.to]
    assert message.body.startswith("Bonjour")
    assert project.reference in message.subject
    assert "467,30" in message.body  # the total, the French way


def test_prices_are_copied_so_a_later_rate_change_leaves_the_quote_alone(
    site, staff, laser, acrylic
):
    project = triaged_project(site, staff)
    quote = quote_make(project, staff, standard_lines(laser, acrylic))

    Rate.objects.filter(resource=laser).update(hourly_rate=Decimal("99.00"))
    acrylic.unit_price = Decimal("50.00")
    acrylic.save()

    quote.refresh_from_db()
    assert quote.gross_total == Decimal("467.30")
    assert sorted(quote.lines.values_list("unit_price", flat=True)) == [
        Decimal("15.90"),
        Decimal("24.50"),
        Decimal("40.00"),
        Decimal("55.00"),
    ]


def test_an_individual_maker_is_quoted_at_their_own_price_group(site, staff, laser):
    student = UserFactory()
    student_group = PriceGroup.objects.get(slug="student")
    MakerProfile.objects.create(user=student, price_group=student_group)
    Rate.objects.create(price_group=student_group, resource=laser, hourly_rate=Decimal("20.00"))
    project = project_make(requested_by=student, requester_kind="individual", site=site, lead=staff)

    quote = quote_make(project, staff, [QuoteLineInput(kind="machine", resource=laser, quantity=2)])

    assert quote.price_group == student_group
    assert quote.net_total == Decimal("40.00")


def test_a_nonprofit_pays_the_nonprofit_rate_and_staff_may_type_another_staff_rate(
    site, staff, laser
):
    from tests.factories import organisation_make

    nonprofit = organisation_make(name="Repair Café", kind="nonprofit")
    Rate.objects.create(
        price_group=PriceGroup.objects.get(slug="nonprofit"),
        resource=laser,
        hourly_rate=Decimal("25.00"),
    )
    project = triaged_project(
        site,
        staff,
        organisation=nonprofit,
        requested_by=nonprofit.memberships.get().user,
        requester_kind="nonprofit",
    )

    quote = quote_make(
        project,
        staff,
        [
            QuoteLineInput(kind="machine", resource=laser, quantity="1.5"),
            QuoteLineInput(kind="staff", quantity="1", unit_price="30"),
        ],
        vat_rate="3",
    )

    assert quote.price_group.slug == "nonprofit"
    assert [line.total for line in quote.lines.order_by("position")] == [
        Decimal("37.50"),
        Decimal("30.00"),
    ]
    assert (quote.vat_rate, quote.vat_total, quote.gross_total) == (
        Decimal("3.00"),
        Decimal("2.03"),
        Decimal("69.53"),
    )


def test_a_new_version_supersedes_the_one_awaiting_an_answer_without_a_status_change(
    site, staff, laser, acrylic, django_capture_on_commit_callbacks
):
    project = triaged_project(site, staff)
    first = quote_make(project, staff, standard_lines(laser, acrylic))
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        second = quote_make(
            project, staff, [QuoteLineInput(kind="machine", resource=laser, quantity="4")]
        )

    first.refresh_from_db()
    assert (first.status, second.version, second.status) == ("superseded", 2, "sent")
    assert _status(project) == "quoted"
    assert StatusChange.objects.filter(project=project).count() == 1  # only requested→quoted
    [message] = [m for m in mail.outbox if project.requested_by.email in m.to]
    assert "version 2" in message.subject.lower()
    assert "It replaces the previous version." in message.body


BAD_LINES = [
    ([], "Add at least one line to the quote."),
    ([QuoteLineInput(kind="staff", quantity="0")], "Line 1: the quantity must be above zero."),
    ([QuoteLineInput(kind="staff", quantity="-2")], "Line 1: the quantity must be above zero."),
    (
        [QuoteLineInput(kind="staff", quantity="two")],
        "Line 1: enter the quantity as a number, such as 2 or 0.5.",
    ),
    (
        [QuoteLineInput(kind="other", quantity="1", description="Paint", unit_price="-5")],
        "Line 1: a price cannot be negative.",
    ),
    ([QuoteLineInput(kind="other", quantity="1", unit_price="5")], "Line 1: describe what"),
    ([QuoteLineInput(kind="machine", quantity="1")], "Line 1: choose the machine."),
]


@pytest.mark.parametrize(("lines", "message"), BAD_LINES)
def test_bad_lines_are_refused_with_a_message_and_nothing_is_stored(site, staff, lines, message):
    project = triaged_project(site, staff)

    with pytest.raises(ValidationError) as refused:
        quote_make(project, staff, lines)

    assert any(text.startswith(message) for text in refused.value.messages), refused.value
    assert not Quote.objects.exists() and not QuoteLine.objects.exists()
    assert _status(project) == "requested"


def test_every_bad_line_is_named_and_a_good_line_is_not_stored_either(site, staff, laser, acrylic):
    other_site = site_make(slug="industrial", name="FabLab Industrial")
    mill = machine_make(other_site, name="Big mill", category="cnc-mill")
    old_stock = material_make(site, name="Old plywood", is_active=False)
    project = triaged_project(site, staff)

    with pytest.raises(ValidationError) as refused:
        quote_make(
            project,
            staff,
            [
                QuoteLineInput(kind="machine", resource=laser, quantity="2"),
                QuoteLineInput(kind="machine", resource=mill, quantity="2"),
                QuoteLineInput(kind="material", material=old_stock, quantity="1"),
                QuoteLineInput(kind="material", material=acrylic, quantity="0"),
            ],
        )

    assert refused.value.messages == [
        "Line 2: Big mill is not a machine of FabLab Test.",
        "Line 3: Old plywood is no longer on sale.",
        "Line 4: the quantity must be above zero.",
    ]
    assert not Quote.objects.exists() and not QuoteLine.objects.exists()


@pytest.mark.parametrize("vat", ["-1", "100.01", "abc", "17.123"])
def test_a_vat_rate_outside_0_to_100_is_refused(site, staff, laser, vat):
    project = triaged_project(site, staff)
    with pytest.raises(ValidationError) as refused:
        quote_make(project, staff, [QuoteLineInput(kind="staff", quantity="1")], vat_rate=vat)
    assert "VAT rate between 0 and 100" in refused.value.message_dict["vat_rate"][0]
    assert not Quote.objects.exists()


def test_only_the_projects_staff_may_quote_and_only_a_triaged_open_project(site, staff, laser):
    project = triaged_project(site, staff)
    line = [QuoteLineInput(kind="staff", quantity="1")]
    other_staff = UserFactory(roles=["site_staff"])
    site_make(slug="other", staff=[other_staff])

    with pytest.raises(PermissionDenied):
        quote_make(project, project.requested_by, line)
    with pytest.raises(PermissionDenied):
        quote_make(project, other_staff, line)  # staff of another site
    untriaged = project_make(title="Not triaged")
    with pytest.raises(ValidationError, match="site and the staff lead"):
        quote_make(untriaged, staff, line)
    running = triaged_project(site, staff, status="in_progress", title="Running")
    with pytest.raises(ValidationError, match="in progress gets no new quote"):
        quote_make(running, staff, line)
    assert not Quote.objects.exists()


def test_a_validity_date_in_the_past_is_refused(site, staff):
    project = triaged_project(site, staff)
    with pytest.raises(ValidationError) as refused:
        quote_send(
            project=project,
            by=staff,
            lines=[QuoteLineInput(kind="staff", quantity="1")],
            valid_until=timezone.localdate() - timedelta(days=1),
        )
    assert "valid_until" in refused.value.message_dict


# --- Answering -------------------------------------------------------------------------------


@pytest.fixture
def quoted(site, staff, laser, acrylic):
    project = triaged_project(site, staff)
    return quote_make(project, staff, standard_lines(laser, acrylic))


def test_the_requester_accepts_the_current_version_and_the_lead_is_told(
    quoted, staff, django_capture_on_commit_callbacks
):
    requester = quoted.project.requested_by
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        quote_accept(quote=quoted, by=requester)

    quoted.refresh_from_db()
    assert (quoted.status, quoted.decided_by) == ("accepted", requester)
    assert quoted.decided_at is not None
    assert _status(quoted.project) == "accepted"
    change = StatusChange.objects.filter(project=quoted.project).last()
    assert (change.to_status, change.changed_by) == ("accepted", requester)
    [message] = mail.outbox
    assert message.to == [staff.email]
    assert "accepted" in message.subject


def test_accepting_twice_is_refused_and_changes_nothing(quoted):
    requester = quoted.project.requested_by
    quote_accept(quote=quoted, by=requester)
    decided_at = Quote.objects.get(pk=quoted.pk).decided_at

    with pytest.raises(ValidationError) as refused:
        quote_accept(quote=quoted, by=requester)

    assert refused.value.messages == ["This quote is already accepted."]
    assert Quote.objects.get(pk=quoted.pk).decided_at == decided_at
    assert StatusChange.objects.filter(project=quoted.project, to_status="accepted").count() == 1


def test_a_superseded_version_cannot_be_accepted(quoted, staff, laser):
    requester = quoted.project.requested_by
    quote_make(quoted.project, staff, [QuoteLineInput(kind="machine", resource=laser, quantity=9)])

    with pytest.raises(ValidationError) as refused:
        quote_accept(quote=quoted, by=requester)

    assert refused.value.messages == [
        "Version 1 was replaced by version 2: answer the current version."
    ]
    assert _status(quoted.project) == "quoted"
    assert not Quote.objects.filter(status="accepted").exists()


def test_an_expired_quote_cannot_be_accepted_but_may_be_rejected(site, staff, laser):
    project = triaged_project(site, staff)
    quote = quote_make(
        project,
        staff,
        [QuoteLineInput(kind="machine", resource=laser, quantity=1)],
        valid_until=timezone.localdate(),
    )
    later = timezone.now() + timedelta(days=2)

    with pytest.raises(ValidationError, match="expired"):
        quote_accept(quote=quote, by=project.requested_by, now=later)
    quote_reject(quote=quote, by=project.requested_by, reason="Too late for us", now=later)
    assert _status(project) == "requested"


def test_only_the_requesters_side_may_answer(quoted, staff):
    organisation = quoted.project.organisation
    member = UserFactory()
    OrganisationPerson.objects.create(organisation=organisation, user=member, role="member")
    admin = UserFactory()
    OrganisationPerson.objects.create(organisation=organisation, user=admin, role="admin")

    for outsider in (UserFactory(), member, staff):
        with pytest.raises(PermissionDenied) as refused:
            quote_accept(quote=quoted, by=outsider)
        assert "owners and admins" in str(refused.value)
    assert Quote.objects.get(pk=quoted.pk).status == "sent"

    quote_accept(quote=quoted, by=admin)  # an admin of the organisation speaks for it
    assert Quote.objects.get(pk=quoted.pk).decided_by == admin


def test_a_rejection_says_why_and_sends_the_project_back_to_requested(
    quoted, staff, laser, django_capture_on_commit_callbacks
):
    requester = quoted.project.requested_by
    with pytest.raises(ValidationError) as refused:
        quote_reject(quote=quoted, by=requester, reason="   ")
    assert "reason" in refused.value.message_dict
    assert Quote.objects.get(pk=quoted.pk).status == "sent"
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        quote_reject(quote=quoted, by=requester, reason="Too expensive: fewer hours please")

    quoted.refresh_from_db()
    assert (quoted.status, quoted.decision_note) == (
        "rejected",
        "Too expensive: fewer hours please",
    )
    assert _status(quoted.project) == "requested"
    [message] = mail.outbox
    assert message.to == [staff.email]
    assert "fewer hours please" in message.body

    with pytest.raises(ValidationError, match="rejected"):
        quote_accept(quote=quoted, by=requester)
    second = quote_make(
        quoted.project, staff, [QuoteLineInput(kind="machine", resource=laser, quantity=3)]
    )
    assert (second.version, _status(quoted.project)) == (2, "quoted")
    quote_accept(quote=second, by=requester)
    assert _status(quoted.project) == "accepted"


def test_a_cancelled_projects_quote_can_no_longer_be_answered(quoted):
    Project.objects.filter(pk=quoted.project_id).update(status="cancelled")
    with pytest.raises(ValidationError, match="cancelled: its quote can no longer"):
        quote_accept(quote=quoted, by=quoted.project.requested_by)


# --- Pages ---------------------------------------------------------------------------------


def _line_data(rows) -> dict:
    data = {
        "lines-TOTAL_FORMS": str(len(rows)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "50",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"lines-{index}-{key}"] = value
    return data


def _blank():
    return {"kind": "", "quantity": "", "unit_price": "", "description": ""}


def test_staff_build_a_quote_on_the_page(client, site, staff, laser, acrylic):
    project = triaged_project(site, staff)
    client.force_login(staff)
    url = reverse("projects:quote-new", args=[project.pk])

    page = client.get(url)
    assert page.status_code == 200
    assert "Acrylic sheet 3 mm" in page.content.decode()

    response = client.post(
        url,
        {
            "vat_rate": "17",
            "valid_until": (timezone.localdate() + timedelta(days=30)).isoformat(),
            "note": "Prices for one stand",
            **_line_data(
                [
                    {"kind": "machine", "resource": laser.pk, "quantity": "5"},
                    {"kind": "material", "material": acrylic.pk, "quantity": "3"},
                    {"kind": "staff", "quantity": "2", "description": "Design check"},
                    {
                        "kind": "other",
                        "quantity": "1",
                        "description": "Shipping",
                        "unit_price": "15,90",
                    },
                    _blank(),
                ]
            ),
        },
    )

    assert response.status_code == 302
    quote = Quote.objects.get(project=project)
    assert (quote.gross_total, quote.note, quote.lines.count()) == (
        Decimal("467.30"),
        "Prices for one stand",
        4,
    )
    detail = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert "467.30" in detail and "Version 1" in detail

    # The next version starts from the lines of this one.
    again = client.get(url).content.decode()
    assert 'value="15.90"' in again and "Send the new version" in again


def test_a_negative_quantity_on_the_page_is_refused_with_the_line_named(client, site, staff, laser):
    project = triaged_project(site, staff)
    client.force_login(staff)

    response = client.post(
        reverse("projects:quote-new", args=[project.pk]),
        {
            "vat_rate": "17",
            **_line_data(
                [
                    {"kind": "machine", "resource": laser.pk, "quantity": "2"},
                    {"kind": "staff", "quantity": "-1"},
                ]
            ),
        },
    )

    assert response.status_code == 200
    assert "Line 2: the quantity must be above zero." in response.content.decode()
    assert not Quote.objects.exists()


def test_an_empty_quote_on_the_page_is_refused(client, site, staff):
    project = triaged_project(site, staff)
    client.force_login(staff)
    response = client.post(
        reverse("projects:quote-new", args=[project.pk]),
        {"vat_rate": "17", **_line_data([_blank(), _blank()])},
    )
    assert "Add at least one line to the quote." in response.content.decode()
    assert not Quote.objects.exists()


def test_a_machine_of_another_site_cannot_be_posted(client, site, staff):
    mill = machine_make(site_make(slug="industrial"), name="Big mill", category="cnc-mill")
    project = triaged_project(site, staff)
    client.force_login(staff)
    response = client.post(
        reverse("projects:quote-new", args=[project.pk]),
        {"vat_rate": "17", **_line_data([{"kind": "machine", "resource": mill.pk, "quantity": 1}])},
    )
    assert response.status_code == 200
    assert "Choose a machine of the project" in response.content.decode()
    assert not Quote.objects.exists()


def test_the_quote_builder_is_for_staff_only(client, site, staff):
    project = triaged_project(site, staff)
    url = reverse("projects:quote-new", args=[project.pk])
    client.force_login(project.requested_by)
    assert client.get(url).status_code == 403
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404


def test_the_requester_accepts_on_the_project_page(client, quoted):
    project = quoted.project
    client.login(email=project.requested_by.email, password=PASSWORD)
    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert 'data-testid="quote-accept"' in page

    response = client.post(reverse("projects:quote-accept", args=[project.pk, 1]), follow=True)

    assert "You accepted version 1" in response.content.decode()
    assert _status(project) == "accepted"
    again = client.post(reverse("projects:quote-accept", args=[project.pk, 1]), follow=True)
    assert "This quote is already accepted." in again.content.decode()


def test_the_requester_rejects_on_the_page_and_must_say_why(client, quoted):
    project = quoted.project
    client.force_login(project.requested_by)
    url = reverse("projects:quote-reject", args=[project.pk, 1])

    empty = client.post(url, {"reason": ""}, follow=True).content.decode()
    assert "Say why you reject the quote" in empty
    assert _status(project) == "quoted"

    client.post(url, {"reason": "Too expensive"})
    assert _status(project) == "requested"


def test_staff_see_no_answer_buttons_and_an_organisation_member_cannot_answer(
    client, quoted, staff
):
    project = quoted.project
    client.force_login(staff)
    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert 'data-testid="quote-accept"' not in page
    assert "Waiting for the requester" in page

    member = UserFactory()
    OrganisationPerson.objects.create(organisation=project.organisation, user=member, role="member")
    client.force_login(member)
    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert 'data-testid="quote-accept"' not in page and "467.30" in page
    response = client.post(reverse("projects:quote-accept", args=[project.pk, 1]))
    assert response.status_code == 403
    assert _status(project) == "quoted"
