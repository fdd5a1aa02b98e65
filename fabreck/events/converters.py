"""`<event_slug:slug>` in URLs: only the slug of an existing event matches, so the pages of
other sections (`events/<word>/`) resolve whatever order the URL patterns come in."""

from __future__ import annotations

from django.urls import register_converter


class EventSlugConverter:
    regex = "[-a-zA-Z0-9_]+"

    def to_python(self, value: str) -> str:
        from fabreck.events.models import Event
        from fabreck.events.services import RESERVED_SLUGS

        if value in RESERVED_SLUGS or not Event.objects.filter(slug=value).exists():
            raise ValueError(value)  # no match: the next pattern may take it
        return value

    def to_url(self, value) -> str:
        return str(getattr(value, "slug", value))


register_converter(EventSlugConverter, "event_slug")
