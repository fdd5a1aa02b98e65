"""Fields kept in the three languages: `<base>_en`, `<base>_fr`, `<base>_de`."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import get_language

LANGUAGE_CODES = tuple(code for code, _name in settings.LANGUAGES)


def localized(obj: object, base: str, *, language: str | None = None) -> str:
    """The reader's language, else English, else any language that is filled in."""
    wanted = (language or get_language() or settings.LANGUAGE_CODE)[:2]
    for code in dict.fromkeys((wanted, settings.LANGUAGE_CODE, *LANGUAGE_CODES)):
        value = getattr(obj, f"{base}_{code}", "")
        if value:
            return value
    return ""
