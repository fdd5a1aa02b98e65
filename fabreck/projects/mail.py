"""E-mails of prototyping projects, one per recipient, each in the recipient's language,
sent after the transaction commits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from fabreck.core.mail import email_send_on_commit
from fabreck.projects.models import Project
from fabreck.projects.selectors import project_recipients

if TYPE_CHECKING:
    from fabreck.accounts.models import User


def project_url(project: Project) -> str:
    return settings.SITE_URL + reverse("projects:detail", args=[project.pk])


def project_change_send(
    *, project: Project, actor: User | None, template: str, context: dict | None = None
) -> None:
    """Tell the project's people (but not the one who acted) what changed.

    `template` names `projects/email/<template>.txt`; its first line is the subject."""
    for recipient in project_recipients(project=project):
        if actor is not None and recipient.pk == actor.pk:
            continue
        with translation.override(recipient.preferred_language):
            text = render_to_string(
                f"projects/email/{template}.txt",
                {
                    "project": project,
                    "recipient": recipient,
                    "actor": actor,
                    "project_url": project_url(project),
                    **(context or {}),
                },
            )
            subject, _blank, body = text.strip().partition("\n")
            subject = _("[Fabreck] %(subject)s") % {"subject": subject.strip()}
        email_send_on_commit(
            EmailMessage(subject=subject, body=body.lstrip(), to=[recipient.email])
        )


# --- requests, triage and timeline --------------------------------------------------------
from collections.abc import Iterable  # noqa: E402


def project_mail_one(
    *,
    project: Project,
    recipient: User,
    actor: User | None,
    template: str,
    context: dict | None = None,
) -> None:
    """One e-mail about `project`, rendered in `recipient`'s language."""
    with translation.override(recipient.preferred_language):
        text = render_to_string(
            f"projects/email/{template}.txt",
            {
                "project": project,
                "recipient": recipient,
                "actor": actor,
                "project_url": project_url(project),
                **(context or {}),
            },
        )
        subject, _blank, body = text.strip().partition("\n")
        subject = _("[Fabreck] %(subject)s") % {"subject": subject.strip()}
    email_send_on_commit(EmailMessage(subject=subject, body=body.lstrip(), to=[recipient.email]))


def project_staff_mail(
    *,
    project: Project,
    recipients: Iterable[User],
    actor: User | None,
    template: str,
    context: dict | None = None,
) -> None:
    """Tell staff (never the organisation) about a project: each in their language, not the
    one who acted."""
    for recipient in recipients:
        if actor is not None and recipient.pk == actor.pk:
            continue
        if not recipient.is_active or not recipient.email:
            continue
        project_mail_one(
            project=project, recipient=recipient, actor=actor, template=template, context=context
        )


def project_request_mail(*, project: Project) -> None:
    """A new request: a confirmation to the requester, a notice to the staff of every
    site."""
    from fabreck.projects.selectors import site_staff_everywhere

    requester = project.requested_by
    if requester.is_active and requester.email:
        project_mail_one(
            project=project, recipient=requester, actor=requester, template="request_received"
        )
    project_staff_mail(
        project=project,
        recipients=site_staff_everywhere(),
        actor=requester,
        template="request_new",
    )
