from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from fabreck.core.mail import email_send_on_commit

"""E-mails of the incubator, each rendered in its recipient's language and sent on commit."""

# --- calls ---


def calls_application_submitted_mail(*, application) -> None:
    """Confirm a submission to the applicant, in the applicant's language."""
    applicant = application.applicant
    if not applicant.is_active or not applicant.email:
        return
    language = applicant.preferred_language or application.language or settings.LANGUAGE_CODE
    with translation.override(language):
        text = render_to_string(
            "incubator/email/calls_submitted.txt",
            {
                "application": application,
                "call": application.call,
                "recipient": applicant,
                "application_url": settings.SITE_URL
                + reverse("incubator:application", args=[application.pk]),
            },
        )
        subject, _blank, body = text.strip().partition("\n")
        subject = _("[Fabreck] %(subject)s") % {"subject": subject.strip()}
    email_send_on_commit(EmailMessage(subject=subject, body=body.lstrip(), to=[applicant.email]))
