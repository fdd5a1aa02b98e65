"""Navigation registry: apps register the entries a role may see; the base layout shows them.

An entry is shown to a user when its `visible` predicate says so, so the menu mirrors
the permissions the server enforces on the pages themselves.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

Predicate = Callable[[object], bool]


@dataclass(frozen=True)
class NavEntry:
    key: str
    label: str  # a lazy translation
    url_name: str
    visible: Predicate
    order: int = 100
    section: str = "main"  # "main" (top bar) or "user" (the account menu)

    @property
    def url(self) -> str:
        # The menu is on every page: its URLs are reversed once per URL configuration.
        return _reversed(self.url_name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


@functools.lru_cache(maxsize=256)
def _reversed(url_name: str, script_prefix: str, urlconf: str) -> str:
    return reverse(url_name, urlconf=urlconf)


_registry: dict[str, NavEntry] = {}


def nav_register(entry: NavEntry) -> None:
    _registry[entry.key] = entry


def everyone(user: object) -> bool:
    return True


def authenticated(user: object) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def has_perm(codename: str) -> Predicate:
    def predicate(user: object) -> bool:
        return authenticated(user) and user.has_perm(codename)  # type: ignore[attr-defined]

    return predicate


def nav_entries_for(user: object, *, section: str) -> list[NavEntry]:
    entries = [e for e in _registry.values() if e.section == section and e.visible(user)]
    return sorted(entries, key=lambda e: (e.order, e.key))
