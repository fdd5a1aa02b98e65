"""Text normalisation for search: accents and case never decide whether a word matches."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^0-9a-z]+")
# Letters NFKD does not decompose: written out as their usual two-letter spelling.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "þ": "th"})
# German umlauts typed without the dots ("Toepferei") are searched as the stored form too.
_UMLAUT_SPELLINGS = (("ae", "a"), ("oe", "o"), ("ue", "u"))

# Words that carry no meaning in a query, in the three languages. A query made only of
# them keeps them (someone may look for "Die Etage").
STOP_WORDS = frozenset(
    """
    a an and the of for to in on with or by at from we our need needs looking
    de des du la le les l d un une et ou pour avec en au aux sur dans par nous cherchons
    der die das den dem des ein eine einen und oder fur mit im in am zum zur von wir suchen
    """.split()
)
# Query words this short must match a whole word: "AR" is no prefix of "architecture".
SHORT_WORD = 3


def search_normalize(text: str) -> str:
    """'Ébénisterie & Co.' -> 'ebenisterie co'; 'Straße' -> 'strasse'; 'Œuvre' -> 'oeuvre'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", stripped).strip()


def search_terms(text: str) -> list[str]:
    """The distinct normalised words of a query that carry meaning, in order."""
    words = list(dict.fromkeys(search_normalize(text).split()))
    meaningful = [word for word in words if word not in STOP_WORDS]
    return meaningful or words


def term_variants(term: str) -> list[str]:
    """The spellings a query word may have in the stored text ('toepferei' -> 'topferei')."""
    variants = [term]
    for written, stored in _UMLAUT_SPELLINGS:
        if written in term and len(term) > SHORT_WORD:
            variants.append(term.replace(written, stored))
    return list(dict.fromkeys(variants))


def is_short(term: str) -> bool:
    return len(term) <= SHORT_WORD
