from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from fabreck.accounts.models import User
from fabreck.fablab.models import (
    Authorisation,
    Booking,
    Closure,
    Course,
    OpeningHours,
    Resource,
    Site,
)


class OpeningHoursSerializer(serializers.ModelSerializer):
    class Meta:
        model = OpeningHours
        fields = ["weekday", "opens", "closes"]


class ClosureSerializer(serializers.ModelSerializer):
    reason = serializers.CharField(read_only=True)

    class Meta:
        model = Closure
        fields = ["starts_on", "ends_on", "reason"]


class SiteSerializer(serializers.ModelSerializer):
    description = serializers.CharField(read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Site
        fields = [
            "slug", "name", "kind", "kind_label", "description", "street", "postcode",
            "locality", "email", "phone", "is_open_to_public",
        ]  # fmt: skip


class SiteDetailSerializer(SiteSerializer):
    opening_hours = OpeningHoursSerializer(many=True, read_only=True)
    closures = serializers.SerializerMethodField()
    rules = serializers.SerializerMethodField()

    class Meta(SiteSerializer.Meta):
        fields = [*SiteSerializer.Meta.fields, "opening_hours", "closures", "rules"]

    def get_closures(self, site: Site) -> list[dict]:
        return ClosureSerializer(self.context.get("closures", []), many=True).data

    def get_rules(self, site: Site) -> dict[str, int]:
        return {
            name: getattr(site, name)
            for name in (
                "slot_minutes", "min_booking_minutes", "max_booking_minutes", "max_days_ahead",
                "min_notice_minutes", "cancellation_hours", "weekly_quota_hours",
            )
        }  # fmt: skip


class ResourceSerializer(serializers.ModelSerializer):
    site = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    space = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    required_courses = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    description = serializers.CharField(read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Resource
        fields = [
            "slug", "name", "kind", "site", "category", "space", "description", "spec_lines",
            "documentation_url", "status", "status_label", "capacity", "is_bookable",
            "required_courses",
        ]  # fmt: skip


class CourseSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Course
        fields = ["slug", "name", "category", "duration_minutes", "validity_months"]


class AuthorisationSerializer(serializers.ModelSerializer):
    course = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    user = serializers.EmailField(source="user.email", read_only=True)
    is_valid = serializers.SerializerMethodField()

    class Meta:
        model = Authorisation
        fields = [
            "id", "user", "course", "issued_at", "expires_at", "evidence", "revoked_at",
            "revoke_reason", "is_valid",
        ]  # fmt: skip

    def get_is_valid(self, authorisation: Authorisation) -> bool:
        return authorisation.is_valid_at(self.context["now"])


class AuthorisationGrantSerializer(serializers.Serializer):
    user = serializers.SlugRelatedField(
        slug_field="email",
        queryset=User.objects.all(),
        error_messages={"does_not_exist": _("No account uses the e-mail {value}.")},
    )
    course = serializers.SlugRelatedField(slug_field="slug", queryset=Course.objects.all())
    site = serializers.SlugRelatedField(slug_field="slug", queryset=Site.objects.all())
    evidence = serializers.CharField(max_length=2000, allow_blank=True, default="")


class RevokeSerializer(serializers.Serializer):
    site = serializers.SlugRelatedField(slug_field="slug", queryset=Site.objects.all())
    reason = serializers.CharField(max_length=2000, allow_blank=True, default="")


class BookingSerializer(serializers.ModelSerializer):
    resource = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    site = serializers.SlugRelatedField(source="resource.site", slug_field="slug", read_only=True)
    maker = serializers.EmailField(source="user.email", read_only=True, default=None)
    organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    price_group = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Booking
        fields = [
            "id", "resource", "site", "kind", "status", "starts_at", "ends_at", "maker",
            "organisation", "project_reference", "note", "price_group", "hourly_rate", "price",
            "rules_overridden", "cancelled_at", "cancel_reason", "checked_in_at",
            "checked_out_at", "no_show", "prepaid_hours",
        ]  # fmt: skip


class SlotSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class BookingCreateSerializer(SlotSerializer):
    resource = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Resource.objects.select_related("site", "category"),
        error_messages={"does_not_exist": _("There is no machine or space “{value}”.")},
    )
    organisation = serializers.SlugField(required=False, allow_null=True, default=None)
    project_reference = serializers.CharField(max_length=80, allow_blank=True, default="")
    note = serializers.CharField(max_length=300, allow_blank=True, default="")
    # For staff only
    maker = serializers.SlugRelatedField(
        slug_field="email",
        queryset=User.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        error_messages={"does_not_exist": _("No account uses the e-mail {value}.")},
    )
    kind = serializers.ChoiceField(choices=Booking.Kind.choices, default=Booking.Kind.BOOKING)
    override = serializers.BooleanField(default=False)


class RescheduleSerializer(SlotSerializer):
    resource = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Resource.objects.select_related("site", "category"),
        required=False,
        allow_null=True,
        default=None,
    )
    override = serializers.BooleanField(default=False)


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, allow_blank=True, default="")


# === Prepaid hours (credits) ================================================================

from fabreck.fablab.models import PrepaidMovement  # noqa: E402


class PrepaidAccountSerializer(serializers.Serializer):
    organisation = serializers.SlugField(source="organisation.slug")
    organisation_name = serializers.CharField(source="organisation.name")
    balance_hours = serializers.DecimalField(source="balance", max_digits=8, decimal_places=2)


class PrepaidMovementSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    by = serializers.CharField(source="by.display_name", read_only=True, default=None)

    class Meta:
        model = PrepaidMovement
        fields = ["id", "at", "kind", "kind_label", "hours", "booking", "note", "by"]
        read_only_fields = fields


class PrepaidChangeSerializer(serializers.Serializer):
    """Hours and note are checked by the service, which says why it refuses."""

    kind = serializers.ChoiceField(
        choices=[("grant", _("Grant hours")), ("adjustment", _("Adjust the balance"))]
    )
    hours = serializers.CharField(
        max_length=12, help_text=_("Positive; an adjustment may be negative.")
    )
    note = serializers.CharField(max_length=300, allow_blank=True, default="")
