from allauth.account.adapter import DefaultAccountAdapter
from django.db import transaction

from fabreck.accounts.services import user_role_add
from fabreck.core.mail import email_send_on_commit


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        with transaction.atomic():
            user = super().save_user(request, user, form, commit=commit)
            if commit:
                # Everyone who signs up is a maker; other roles are given by managers.
                user_role_add(user=user, role="maker")
        return user

    def send_mail(self, template_prefix, email, context):
        message = self.render_mail(template_prefix, email, context)
        email_send_on_commit(message)
