from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from fabreck.accounts.models import User
from fabreck.accounts.selectors import user_roles
from fabreck.core.api import FieldsBuiltOnce


class MeSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()
    display_name = serializers.CharField(read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "first_name",
            "last_name",
            "display_name",
            "phone",
            "preferred_language",
            "roles",
            "date_joined",
        ]
        read_only_fields = ["id", "email", "display_name", "roles", "date_joined"]

    def get_roles(self, user: User) -> list[str]:
        return [role.slug for role in user_roles(user=user)]


class MeUpdateSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    phone = serializers.RegexField(
        r"^\+?[0-9 ()./-]{4,31}$",
        max_length=32,
        required=False,
        allow_blank=True,
        error_messages={"invalid": _("Enter a phone number such as +352 621 123 456.")},
    )
    preferred_language = serializers.ChoiceField(
        choices=settings.LANGUAGES,
        required=False,
        error_messages={
            "invalid_choice": _("Unknown language “{input}”. Choose English, French or German.")
        },
    )
