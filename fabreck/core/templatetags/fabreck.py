import functools
from html import escape

from django import template
from django.conf import settings
from django.forms import BoundField
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language_info

from fabreck.core.navigation import NavEntry

register = template.Library()

_CHECK_TYPES = {"checkbox", "radio", "checkboxselectmultiple", "radioselect"}


@register.filter
def bootstrap_widget(field: BoundField) -> str:
    """Render a form field's widget with Bootstrap classes and its error description."""
    widget_type = field.widget_type
    if widget_type in _CHECK_TYPES:
        css = "form-check-input"
    elif widget_type in {"select", "selectmultiple"}:
        css = "form-select"
    else:
        css = "form-control"
    attrs = {"class": f"{css} is-invalid" if field.errors else css}
    if field.errors:
        attrs["aria-describedby"] = f"{field.auto_id}-errors"
    elif field.help_text:
        attrs["aria-describedby"] = f"{field.auto_id}-help"
    return field.as_widget(attrs=attrs)


@register.filter
def is_check(field: BoundField) -> bool:
    return field.widget_type in _CHECK_TYPES


# --- The layout's menu and language choice, written in Python: on every page, rendered by
# the template language they cost about a millisecond and a half (some sixty node renders).

NAV_LINK = (
    '\n              <li class="nav-item"><a class="nav-link{active}" href="{url}"{current}>'
    "{label}</a></li>\n            "
)


@register.simple_tag
def nav_links(entries: list[NavEntry], path: str) -> SafeString:
    """The top bar's links; the current page's is marked active."""
    links = []
    for entry in entries:
        url = entry.url
        here = path == url
        links.append(
            NAV_LINK.format(
                active=" active" if here else "",
                url=escape(url),
                current=' aria-current="page"' if here else "",
                label=escape(str(entry.label)),
            )
        )
    return mark_safe("".join(links))  # noqa: S308  (every value is escaped above)


LANGUAGE_OPTION = (
    "\n                \n"
    '                <option value="{code}"{selected} lang="{code}">{name}</option>\n              '
)


@functools.cache
def _language_names(languages: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Each language's code and its name in itself (the same whatever the reader's)."""
    return tuple(
        (escape(code), escape(capfirst(get_language_info(code)["name_local"])))
        for code in languages
    )


@register.simple_tag
def language_options(current: str) -> SafeString:
    """An <option> per site language, the current one selected."""
    codes = tuple(code for code, _name in settings.LANGUAGES)
    return mark_safe(  # noqa: S308  (escaped in _language_names)
        "".join(
            LANGUAGE_OPTION.format(
                code=code, selected=" selected" if code == current else "", name=name
            )
            for code, name in _language_names(codes)
        )
    )
