"""The directory's facet check boxes and result cards, rendered in Python.

A search page shows about forty facet options and twenty cards. Rendered by the template
language, each option costs some fifteen node renders (look-ups, escaping, number
formatting) and each card some thirty: more time than the whole search statement for a
typical query. These tags write the same markup in one pass, escaping each value once
(html.escape is what django.utils.html.escape calls); the legends and every translated
word stay in the template, and the cards' words come translated from the selector
(`organisation.card`).
"""

import functools
from html import escape

from django import template
from django.template.defaultfilters import truncatewords
from django.utils.formats import localize
from django.utils.safestring import SafeString, mark_safe

from fabreck.cluster.models import Organisation
from fabreck.cluster.selectors import Facet

register = template.Library()

OPTION = (
    '<div class="form-check">\n'
    '  <input class="form-check-input" type="checkbox" name="{name}" value="{value}"'
    ' id="f-{name}-{number}"{checked}>\n'
    '  <label class="form-check-label d-flex justify-content-between" for="f-{name}-{number}">\n'
    "    <span>{label}</span>"
    '<span class="badge text-bg-light border ms-2" data-testid="count">{count}</span>\n'
    "  </label>\n"
    "</div>"
)


def _count(n: int) -> str:
    # Below a thousand no locale groups digits: skip the format look-ups.
    return str(n) if 0 <= n < 1000 else escape(str(localize(n)))


@register.simple_tag
def facet_options(facet: Facet) -> SafeString:
    """A check box per option with organisations or chosen; ids count every option."""
    name = escape(facet.name)
    return mark_safe(  # noqa: S308  (every value is escaped above or here)
        "\n".join(
            OPTION.format(
                name=name,
                value=escape(option.value),
                number=number,
                checked=" checked" if option.selected else "",
                label=escape(str(option.label)),
                count=_count(option.count),
            )
            for number, option in enumerate(facet.options, start=1)
            if option.count or option.selected
        )
    )


CARD = (
    "\n"
    '      <article class="card mb-3 shadow-sm" data-testid="result">\n'
    '        <div class="card-body">\n'
    '          <h3 class="h5 card-title mb-1"><a href="{url}">{name}</a>{incubated}</h3>\n'
    '          <p class="small text-body-secondary mb-2">{kind} · {commune} · {size}</p>\n'
    '          <p class="card-text mb-2">{description}</p>\n'
    "          <div>\n"
    "            {sectors}\n"
    "            {competences}\n"
    "          </div>\n"
    "        </div>\n"
    "      </article>\n"
    "    "
)
SECTOR = '<span class="badge text-bg-secondary me-1">{}</span>'
COMPETENCE = '<span class="badge text-bg-light border me-1">{}</span>'
INCUBATED = (
    ' <span class="badge text-bg-success fs-6 align-middle" data-testid="incubated">{}</span>'
)


DESCRIPTION_WORDS = 40


def _first_words(text: str) -> str:
    """The truncatewords filter's result; most descriptions are shorter than the limit, and
    then a split is all it takes."""
    words = text.split()
    if len(words) <= DESCRIPTION_WORDS:
        return " ".join(words)
    return truncatewords(text, DESCRIPTION_WORDS)


# A few hundred labels in three languages, on every page: each badge is escaped once.
@functools.lru_cache(maxsize=4096)
def _sector_badge(label: str) -> str:
    return SECTOR.format(escape(label))


@functools.lru_cache(maxsize=4096)
def _competence_badge(label: str) -> str:
    return COMPETENCE.format(escape(label))


@register.simple_tag
def directory_cards(organisations: list[Organisation]) -> SafeString:
    """A card per organisation of the page: name, kind, commune, size, the start of its
    description, its sectors and first competences."""
    cards = []
    for organisation in organisations:
        card = organisation.card
        cards.append(
            CARD.format(
                url=escape(card["url"]),
                name=escape(organisation.name),
                incubated=INCUBATED.format(escape(card["incubated"])) if card["incubated"] else "",
                kind=escape(str(card["kind"])),
                commune=escape(organisation.commune.name),
                size=escape(str(card["size"])),
                description=escape(_first_words(card["description"])),
                sectors="".join(map(_sector_badge, card["sectors"])),
                competences="".join(map(_competence_badge, card["competences"])),
            )
        )
    return mark_safe("".join(cards))  # noqa: S308  (every value is escaped above)
