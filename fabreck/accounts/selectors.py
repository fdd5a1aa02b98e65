"""Reads on users, roles and tokens."""

from __future__ import annotations

from django.db.models import QuerySet

from fabreck.accounts.models import ApiToken, User
from fabreck.accounts.roles import ROLES, Role


def user_roles(*, user: User) -> list[Role]:
    if not user.is_authenticated:
        return []
    names = {group.name for group in user.groups.all()}
    return [role for role in ROLES if role.slug in names]


def api_tokens_of(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("revoked_at", "-created_at")
