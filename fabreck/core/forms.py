"""Shared helpers of the apps' forms."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


def form_errors_from(form: forms.Form, error: ValidationError) -> None:
    """A service's refusal shown on the form: each field's errors at that field, the rest
    (and errors of fields the form does not have) on top."""
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)
