"""Text normalisation for search: accents and case never decide whether a word matches."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^0-9a-z]+")


def search_normalize(text: str) -> str:
    """'Ébénisterie & Co.' -> 'ebenisterie co'; 'Straße' -> 'strasse'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", stripped).strip()


def search_terms(text: str) -> list[str]:
    """The distinct normalised words of a query, in order."""
    return list(dict.fromkeys(search_normalize(text).split()))
