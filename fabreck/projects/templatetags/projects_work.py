"""Panels of the project page owned by the quotes and execution capability.

SCAFFOLD: the helper building quotes and execution replaces these."""

from django import template

register = template.Library()


@register.simple_tag
def quotes_panel(project, user) -> str:
    return ""


@register.simple_tag
def execution_panel(project, user) -> str:
    return ""
