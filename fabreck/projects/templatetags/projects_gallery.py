"""The gallery's panel on the project page: "document this project" once it is delivered,
for the people who speak for it; a link to its documentation once there is one."""

from django import template
from django.template.loader import render_to_string
from django.utils.html import format_html_join

from fabreck.projects.models import Documentation
from fabreck.projects.selectors import user_edits_documentation, user_speaks_for_project

register = template.Library()


@register.simple_tag(takes_context=True)
def gallery_panel(context, project, user) -> str:
    if project.status not in ("delivered", "closed"):
        return ""
    documentation = Documentation.objects.filter(project=project).first()
    writes = documentation is not None and user_edits_documentation(
        user=user, documentation=documentation
    )
    may_document = documentation is None and user_speaks_for_project(user=user, project=project)
    if not (writes or may_document or (documentation is not None and documentation.is_public)):
        return ""
    return render_to_string(
        "projects/_gallery_panel.html",
        {
            "project": project,
            "documentation": documentation,
            "writes": writes,
            "may_document": may_document,
        },
        request=context.get("request"),
    )


@register.simple_tag
def gallery_select_options(options, chosen: str) -> str:
    """The <option>s of one of the gallery's filters (one join, not a template loop: the
    page has five of them)."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((o.value, " selected" if o.value == chosen else "", o.label) for o in options),
    )
