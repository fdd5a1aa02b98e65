"""Panels of the project page owned by the request and timeline capability.

SCAFFOLD: the helper building requests, triage and the timeline replaces these."""

from django import template

register = template.Library()


@register.simple_tag
def timeline_panel(project, user) -> str:
    return ""


@register.simple_tag
def project_actions(project, user) -> str:
    return ""
