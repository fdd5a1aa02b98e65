"""The PDF of a quote version, in the reader's language.

Built with fpdf2's core fonts (Helvetica): they cover Latin-1, which holds every letter of
English, French and German. What Latin-1 lacks is written the way an invoice would
(amounts as "1 234,50 EUR", typographic quotes and dashes as plain ones), so the PDF needs
no font file and its text stays searchable."""

from __future__ import annotations

import unicodedata
from decimal import Decimal

from django.conf import settings
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from fabreck.projects.models import Quote
from fabreck.projects.selectors import quote_line_label

_PLAIN = {
    "€": "EUR",
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2026": "...",
    "\u202f": " ",
    "\u2009": " ",
    "\xa0": " ",
    "œ": "oe",
    "Œ": "OE",
}


def latin1(text: object) -> str:
    """`text` in the characters the PDF core fonts have: letters outside Latin-1 lose
    their accents (ő → o), and what cannot be written at all becomes "?"."""
    plain = "".join(_PLAIN.get(char, char) for char in str(text))
    try:
        plain.encode("latin-1")
    except UnicodeEncodeError:
        plain = "".join(
            char
            if ord(char) < 256
            else unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode("latin-1")
            or "?"
            for char in plain
        )
    return plain


def pdf_amount(amount: Decimal) -> str:
    """An amount in the active language's way, in euros: 1,234.50 EUR / 1 234,50 EUR /
    1.234,50 EUR."""
    number = formats.number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)
    return latin1(f"{number} EUR")


def _quantity(value: Decimal) -> str:
    return latin1(floatformat(value, "-2"))


class _QuotePDF(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", size=8)
        self.set_text_color(110)
        self.cell(0, 5, self.footer_text, align="L")
        self.cell(0, 5, latin1(_("Page %(page)d") % {"page": self.page_no()}), align="R")


def quote_pdf(*, quote: Quote, language: str, compress: bool = True) -> bytes:
    """The PDF of `quote` in `language`: reference, version, organisation, lines, totals,
    VAT and validity. `compress=False` keeps the text readable in the file (for tests)."""
    with translation.override(language):
        return _build(quote, compress)


def _build(quote: Quote, compress: bool) -> bytes:
    project = quote.project
    site = project.site
    reference = project.reference
    pdf = _QuotePDF(format="A4")
    pdf.set_compression(compress)
    pdf.set_auto_page_break(auto=True, margin=20)
    title = _("Quote %(reference)s, version %(version)d") % {
        "reference": reference,
        "version": quote.version,
    }
    pdf.set_title(latin1(title))
    pdf.set_author("Fabreck")
    pdf.set_creator("Fabreck")
    pdf.footer_text = latin1(f"Fabreck · {reference} v{quote.version}")
    pdf.add_page()
    line = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}

    # Who sends it
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 6, latin1(_("Fabreck FabLab: %(site)s") % {"site": site.name}), **line)
    pdf.set_font("Helvetica", size=9)
    address = ", ".join(part for part in (site.street, f"{site.postcode} {site.locality}") if part)
    pdf.cell(0, 5, latin1(address), **line)
    if site.email:
        pdf.cell(0, 5, latin1(site.email), **line)
    pdf.ln(6)

    # What it is
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 9, latin1(title), **line)
    pdf.set_font("Helvetica", size=10)
    pdf.multi_cell(0, 5, latin1(project.title), **line)
    pdf.ln(2)

    facts: list[tuple[str, str]] = []
    if project.organisation_id is not None:
        facts.append((_("Organisation"), project.organisation.name))
    facts.append((_("Requested by"), project.requested_by.display_name))
    facts.append(
        (_("Sent on"), formats.date_format(timezone.localtime(quote.created_at), "DATE_FORMAT"))
    )
    facts.append(
        (
            _("Valid until"),
            formats.date_format(quote.valid_until, "DATE_FORMAT")
            if quote.valid_until
            else _("no date given"),
        )
    )
    facts.append((_("Price group"), quote.price_group.name))
    facts.append((_("Status"), quote.get_status_display()))
    for label, value in facts:
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(40, 6, latin1(label))
        pdf.set_font("Helvetica", size=10)
        pdf.cell(0, 6, latin1(value), **line)
    pdf.ln(4)

    # The lines
    pdf.set_font("Helvetica", size=9)
    with pdf.table(
        col_widths=(80, 22, 16, 30, 32),
        text_align=("LEFT", "RIGHT", "LEFT", "RIGHT", "RIGHT"),
        line_height=5.5,
        first_row_as_headings=True,
    ) as table:
        table.row(
            [
                latin1(_("Description")),
                latin1(_("Quantity")),
                latin1(_("Unit")),
                latin1(_("Unit price")),
                latin1(_("Total")),
            ]
        )
        for row in quote.lines.all():
            table.row(
                [
                    latin1(quote_line_label(row)),
                    _quantity(row.quantity),
                    latin1(_("h") if row.unit == "h" else row.unit),
                    pdf_amount(row.unit_price),
                    pdf_amount(row.total),
                ]
            )
    pdf.ln(4)

    # Totals
    totals = [
        (_("Total before VAT"), quote.net_total, False),
        (
            _("VAT %(rate)s %%") % {"rate": floatformat(quote.vat_rate, "-2")},
            quote.vat_total,
            False,
        ),
        (_("Total with VAT"), quote.gross_total, True),
    ]
    for label, amount, strong in totals:
        pdf.set_font("Helvetica", "B" if strong else "", 11 if strong else 10)
        pdf.cell(148, 7, latin1(label), align="R")
        pdf.cell(32, 7, pdf_amount(amount), align="R", **line)
    pdf.ln(4)

    pdf.set_font("Helvetica", size=9)
    if quote.note:
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(0, 5, latin1(_("Note")), **line)
        pdf.set_font("Helvetica", size=9)
        pdf.multi_cell(0, 5, latin1(quote.note), **line)
        pdf.ln(2)
    pdf.multi_cell(
        0,
        5,
        latin1(
            _(
                "Prices in euros. Machine hours at the rates of the price group above, "
                "materials at the site's catalogue prices. Accept or reject this quote "
                "online: %(url)s"
            )
            % {"url": settings.SITE_URL + reverse("projects:detail", args=[project.pk])}
        ),
        **line,
    )
    return bytes(pdf.output())
