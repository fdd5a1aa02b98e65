"""Every write on users, roles and API tokens."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fabreck.accounts.models import ApiToken, User
from fabreck.accounts.roles import ROLES, ROLES_BY_SLUG
from fabreck.core.secrets import secret_digest
from fabreck.core.sql import prepared_cursor, row_reader

TOKEN_PREFIX = "fbk_"  # noqa: S105  (a marker, not a secret)
TOKEN_SHOWN_PREFIX_LENGTH = 12
# Recording every use would turn each API read into a write; a minute's precision is enough.
TOKEN_LAST_USED_PRECISION = timedelta(minutes=1)


def roles_sync() -> None:
    """Make one group per role, holding exactly the role's permissions."""
    with transaction.atomic():
        every_permission = list(Permission.objects.all())
        by_name = {
            f"{p.content_type.app_label}.{p.codename}": p
            for p in Permission.objects.select_related("content_type")
        }
        for role in ROLES:
            group, _created = Group.objects.get_or_create(name=role.slug)
            if role.permissions == ("*",):
                group.permissions.set(every_permission)
            else:
                group.permissions.set(
                    [by_name[name] for name in role.permissions if name in by_name]
                )


def _language_checked(language: str) -> str:
    if language not in dict(settings.LANGUAGES):
        raise ValidationError(
            _("Unknown language “%(code)s”. Choose English, French or German."),
            code="unknown_language",
            params={"code": language},
        )
    return language


def user_create(
    *,
    email: str,
    password: str | None,
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    preferred_language: str = settings.LANGUAGE_CODE,
    roles: tuple[str, ...] = ("maker",),
) -> User:
    with transaction.atomic():
        user = User.objects.create_user(
            email=email,
            password=password,
            first_name=first_name,
            last_name=last_name,
            phone=phone,
            preferred_language=_language_checked(preferred_language),
        )
        for role in roles:
            user_role_add(user=user, role=role)
    return user


def user_role_add(*, user: User, role: str) -> None:
    if role not in ROLES_BY_SLUG:
        raise ValidationError(_("Unknown role “%(role)s”."), params={"role": role})
    with transaction.atomic():
        group, _created = Group.objects.get_or_create(name=role)
        user.groups.add(group)
        _staff_flag_refresh(user)


def user_role_remove(*, user: User, role: str) -> None:
    with transaction.atomic():
        user.groups.remove(*Group.objects.filter(name=role))
        _staff_flag_refresh(user)


def _staff_flag_refresh(user: User) -> None:
    staff_roles = [r.slug for r in ROLES if r.is_staff]
    is_staff = user.is_superuser or user.groups.filter(name__in=staff_roles).exists()
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])


def profile_update(
    *, user: User, first_name: str, last_name: str, phone: str, preferred_language: str
) -> User:
    user.first_name = first_name.strip()
    user.last_name = last_name.strip()
    user.phone = phone.strip()
    user.preferred_language = _language_checked(preferred_language)
    with transaction.atomic():
        user.save(update_fields=["first_name", "last_name", "phone", "preferred_language"])
    return user


def user_language_set(*, user: User, language: str) -> None:
    user.preferred_language = _language_checked(language)
    with transaction.atomic():
        user.save(update_fields=["preferred_language"])


def api_token_digest(secret: str) -> str:
    return secret_digest(secret)


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token; returns it with its secret, which is never stored nor shown again."""
    name = name.strip()
    if not name:
        raise ValidationError(_("Give the token a name, so you can recognise it later."))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name[:100],
            prefix=secret[:TOKEN_SHOWN_PREFIX_LENGTH],
            digest=api_token_digest(secret),
        )
    return token, secret


def api_token_revoke(*, user: User, token_id: int) -> ApiToken:
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(user=user, pk=token_id).first()
        if token is None:
            raise ValidationError(_("This token does not exist."), code="not_found")
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
    return token


def api_token_is_well_formed(secret: str) -> bool:
    body = secret[len(TOKEN_PREFIX) :]
    return (
        secret.startswith(TOKEN_PREFIX)
        and 40 <= len(body) <= 64
        and all(c.isalnum() or c in "-_" for c in body)
    )


_TOKEN_READERS: dict[str, tuple] = {}


def api_token_use(*, secret: str) -> User | None:
    """The active user owning this token, or None; records when the token was last used."""
    # One plain statement for the token and its user: every API request starts here, and
    # the ORM would spend longer building the query than the database answering it.
    readers = _TOKEN_READERS.get(connection.vendor)
    if readers is None:
        readers = _TOKEN_READERS[connection.vendor] = (
            row_reader(ApiToken, "t"),
            row_reader(User, "u"),
        )
    (token_sql, width, token_make), (user_sql, _width, user_make) = readers
    now = timezone.now()
    select = (
        f"SELECT {token_sql}, {user_sql} FROM {ApiToken._meta.db_table} t"  # noqa: S608
        f" JOIN {User._meta.db_table} u ON u.id = t.user_id"
        " WHERE t.digest = %s AND t.revoked_at IS NULL AND u.is_active"
    )
    params: list = [api_token_digest(secret)]
    recorded = connection.vendor == "postgresql"
    if recorded:
        # The last use is recorded by the same statement (a data-modifying WITH runs
        # whether or not its rows are read): one round trip instead of two on the first
        # use of a token in a minute, which every request of a rush is.
        adapt = connection.ops.adapt_datetimefield_value
        select = (
            f"WITH found AS ({select.replace('SELECT ', 'SELECT t.id AS found_id, ', 1)}),"  # noqa: S608
            f" used AS (UPDATE {ApiToken._meta.db_table}"
            " SET last_used_at = %s WHERE id = (SELECT found_id FROM found)"
            " AND (last_used_at IS NULL OR last_used_at < %s)) SELECT * FROM found"
        )
        params += [adapt(now), adapt(now - TOKEN_LAST_USED_PRECISION)]
    with prepared_cursor() as cursor:
        cursor.execute(select, params)
        row = cursor.fetchone()
    if row is None:
        return None
    if recorded:
        row = row[1:]  # found_id
    token, user = token_make(row[:width]), user_make(row[width:])
    ApiToken.user.field.set_cached_value(token, user)
    if token.last_used_at is None or now - token.last_used_at > TOKEN_LAST_USED_PRECISION:
        if not recorded:
            # One plain statement: the ORM's UPDATE costs more to build than to run.
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {ApiToken._meta.db_table} SET last_used_at = %s WHERE id = %s",  # noqa: S608
                    [connection.ops.adapt_datetimefield_value(now), token.pk],
                )
        token.last_used_at = now
    return token.user
