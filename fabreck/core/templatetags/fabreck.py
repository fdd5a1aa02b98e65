from django import template
from django.forms import BoundField

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
