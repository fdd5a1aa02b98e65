"""Panels of the project page owned by the request and timeline capability: the timeline
(status changes, messages, files; internal notes for staff only) with its message form,
and the moves the viewer may make (triage, decline, cancel, deliver, close)."""

from django import template
from django.template.loader import render_to_string

from fabreck.projects.forms import CancelForm, CommentForm, DeclineForm, MoveNoteForm, TriageForm
from fabreck.projects.selectors import project_moves_for, project_timeline

register = template.Library()


def _moves(project, user):
    """The viewer's moves, worked out once per page (both panels need them)."""
    cache = project.__dict__.setdefault("_moves_for", {})
    if user.pk not in cache:
        cache[user.pk] = project_moves_for(project=project, user=user)
    return cache[user.pk]


@register.simple_tag(takes_context=True)
def timeline_panel(context, project, user) -> str:
    moves = _moves(project, user)
    return render_to_string(
        "projects/_timeline.html",
        {
            "project": project,
            "entries": project_timeline(project=project, user=user),
            "moves": moves,
            "comment_form": CommentForm(staff=moves.staff, auto_id="comment_%s")
            if moves.comment
            else None,
        },
        request=context.get("request"),
    )


@register.simple_tag(takes_context=True)
def project_actions(context, project, user) -> str:
    moves = _moves(project, user)
    if not moves.any:
        return ""
    return render_to_string(
        "projects/_actions.html",
        {
            "project": project,
            "moves": moves,
            "triage_form": TriageForm(project=project, auto_id="triage_%s")
            if moves.triage
            else None,
            "decline_form": DeclineForm(auto_id="decline_%s") if moves.decline else None,
            "cancel_form": CancelForm(auto_id="cancel_%s") if moves.cancel else None,
            "note_form": MoveNoteForm(auto_id="move_%s") if moves.deliver or moves.close else None,
        },
        request=context.get("request"),
    )
