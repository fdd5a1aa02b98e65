"""Each quote version has a PDF for those who see the project, in the reader's language:
reference, version, organisation, lines, totals, VAT and validity."""

from datetime import date

import pytest
from django.urls import reverse

from fabreck.cluster.models import OrganisationPerson
from fabreck.projects.pdf import latin1, quote_pdf
from fabreck.projects.services import QuoteLineInput
from tests.factories import UserFactory
from tests.projects.quote_helpers import (
    laser_make,
    material_make,
    quote_make,
    standard_lines,
    triaged_project,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def quote(site, staff):
    project = triaged_project(site, staff, title="Vitrine \u201cÉté\u201d \u2013 acrylique")
    return quote_make(
        project,
        staff,
        [
            *standard_lines(laser_make(site), material_make(site)),
            # 1 234,50 before VAT with the others: the thousands show their separator.
            QuoteLineInput(kind="other", quantity="1", description="Assembly", unit_price="835.10"),
        ],
        valid_until=date(2030, 3, 14),
    )


def _text(content: bytes) -> str:
    """The PDF's bytes as text, with the string escapes of parentheses undone."""
    return content.decode("latin-1").replace("\\(", "(").replace("\\)", ")")


def test_the_pdf_is_served_to_the_requester_with_the_total(client, settings, quote):
    settings.PROJECTS_QUOTE_PDF_COMPRESS = False
    project = quote.project
    client.force_login(project.requested_by)

    response = client.get(reverse("projects:quote-pdf", args=[project.pk, 1]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"quote-{project.reference}-v1.pdf" in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")
    text = _text(response.content)
    assert "1,234.50 EUR" in text  # before VAT
    assert "1,444.37 EUR" in text  # with VAT
    assert "209.87 EUR" in text  # VAT 17 %
    assert f"Quote {project.reference}, version 1" in text
    assert latin1(project.organisation.name) in text
    assert "March 14, 2030" in text  # valid until
    assert "Laser cutter Trotec" in text and "Shipping" in text


def test_the_pdf_speaks_the_readers_language(client, settings, quote):
    settings.PROJECTS_QUOTE_PDF_COMPRESS = False
    project = quote.project
    member = UserFactory(preferred_language="fr")
    OrganisationPerson.objects.create(organisation=project.organisation, user=member, role="member")
    client.force_login(member)

    text = _text(client.get(reverse("projects:quote-pdf", args=[project.pk, 1])).content)

    assert "1 234,50 EUR" in text and "1 444,37 EUR" in text
    assert "14 mars 2030" in text
    assert "Acrylic sheet 3 mm (fr)" in text  # the catalogue's French name


def test_german_amounts_and_dates(quote):
    text = _text(quote_pdf(quote=quote, language="de", compress=False))
    assert "1.234,50 EUR" in text
    assert "14. März 2030".encode("latin-1").decode("latin-1") in text
    assert "Acrylic sheet 3 mm (de)" in text


def test_the_title_outside_latin1_is_written_plainly(quote):
    text = _text(quote_pdf(quote=quote, language="en", compress=False))
    assert 'Vitrine "Été" - acrylique' in text


def test_a_compressed_pdf_is_still_a_pdf(client, quote):
    client.force_login(quote.project.requested_by)
    content = client.get(reverse("projects:quote-pdf", args=[quote.project.pk, 1])).content
    assert content.startswith(b"%PDF") and content.rstrip().endswith(b"%%EOF")


def test_strangers_get_a_404_and_an_unknown_version_too(client, quote):
    client.force_login(UserFactory())
    assert client.get(reverse("projects:quote-pdf", args=[quote.project.pk, 1])).status_code == 404
    client.force_login(quote.project.requested_by)
    assert client.get(reverse("projects:quote-pdf", args=[quote.project.pk, 2])).status_code == 404


def test_latin1_keeps_french_and_german_letters_and_replaces_the_rest():
    assert latin1("Größe, façade, 12 €") == "Größe, façade, 12 EUR"
    assert latin1("Łódź “ok” — œuvre") == '?ódz "ok" - oeuvre'
