from django.contrib import admin

from fabreck.fablab.models import (
    Authorisation,
    Booking,
    CalendarFeed,
    Closure,
    Course,
    MachineCategory,
    MakerProfile,
    Material,
    MaterialUse,
    Occupancy,
    OpeningHours,
    PriceGroup,
    Rate,
    Resource,
    Site,
    TrainingSession,
)


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class ClosureInline(admin.TabularInline):
    model = Closure
    extra = 0


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "locality", "is_open_to_public"]
    search_fields = ["name", "slug", "locality"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["staff"]
    inlines = [OpeningHoursInline, ClosureInline]


@admin.register(OpeningHours)
class OpeningHoursAdmin(admin.ModelAdmin):
    list_display = ["site", "weekday", "opens", "closes"]
    list_filter = ["site", "weekday"]
    search_fields = ["site__name"]


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    list_display = ["site", "starts_on", "ends_on", "reason_en"]
    list_filter = ["site"]
    search_fields = ["reason_en", "reason_fr", "reason_de"]


@admin.register(MachineCategory)
class MachineCategoryAdmin(admin.ModelAdmin):
    list_display = ["slug", "name_en", "name_fr", "name_de", "position"]
    search_fields = ["slug", "name_en", "name_fr", "name_de"]


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["name_en", "category", "duration_minutes", "validity_months"]
    list_filter = ["category"]
    search_fields = ["slug", "name_en", "name_fr", "name_de"]
    prepopulated_fields = {"slug": ["name_en"]}


class RateInline(admin.TabularInline):
    model = Rate
    extra = 0
    fk_name = "resource"
    exclude = ["category"]


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ["name", "site", "kind", "category", "space", "status", "is_bookable"]
    list_filter = ["site", "kind", "category", "status"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["required_courses"]
    raw_id_fields = ["space"]
    inlines = [RateInline]


@admin.register(TrainingSession)
class TrainingSessionAdmin(admin.ModelAdmin):
    list_display = ["course", "site", "instructor", "starts_at", "capacity"]
    list_filter = ["site", "course"]
    search_fields = ["course__name_en", "instructor__email"]
    raw_id_fields = ["instructor"]


@admin.register(Authorisation)
class AuthorisationAdmin(admin.ModelAdmin):
    list_display = ["user", "course", "issued_at", "expires_at", "revoked_at"]
    list_filter = ["course"]
    search_fields = ["user__email", "course__name_en"]
    raw_id_fields = ["user", "issued_by", "revoked_by", "session"]


@admin.register(PriceGroup)
class PriceGroupAdmin(admin.ModelAdmin):
    list_display = ["slug", "name_en", "name_fr", "name_de", "position"]
    search_fields = ["slug", "name_en"]


@admin.register(Rate)
class RateAdmin(admin.ModelAdmin):
    list_display = ["price_group", "resource", "category", "hourly_rate"]
    list_filter = ["price_group", "category"]
    search_fields = ["resource__name"]
    raw_id_fields = ["resource"]


@admin.register(MakerProfile)
class MakerProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "price_group", "price_group_note"]
    list_filter = ["price_group"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    # Bookings are written by the services (rules, occupancies): the admin only reads.
    list_display = ["resource", "kind", "status", "starts_at", "ends_at", "user", "price"]
    list_filter = ["kind", "status", "resource__site"]
    search_fields = ["resource__name", "user__email"]
    date_hierarchy = "starts_at"
    list_select_related = ["resource", "user"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Occupancy)
class OccupancyAdmin(admin.ModelAdmin):
    list_display = ["resource", "starts_at", "ends_at", "booking"]
    search_fields = ["resource__name"]
    raw_id_fields = ["booking", "resource"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ["owner", "resource", "created_at", "revoked_at"]
    search_fields = ["owner__email"]
    raw_id_fields = ["owner", "resource"]
    exclude = ["digest"]


@admin.register(Material)
class MaterialAdmin(admin.ModelAdmin):
    list_display = ["name_en", "site", "unit", "unit_price", "is_active"]
    list_filter = ["site", "is_active"]
    search_fields = ["name_en", "name_fr", "name_de"]


@admin.register(MaterialUse)
class MaterialUseAdmin(admin.ModelAdmin):
    list_display = ["booking", "material", "quantity", "unit_price", "recorded_at"]
    search_fields = ["material__name_en"]
    raw_id_fields = ["booking", "material", "recorded_by"]


# --- Staff side ---------------------------------------------------------------------------

from fabreck.fablab.models import TrainingParticipant  # noqa: E402


@admin.register(TrainingParticipant)
class TrainingParticipantAdmin(admin.ModelAdmin):
    # Results are recorded on the session page: passing grants an authorisation there.
    list_display = ["user", "session", "result", "registered_at", "recorded_at"]
    list_filter = ["result", "session__site"]
    search_fields = ["user__email", "session__course__name_en"]
    raw_id_fields = ["session", "user", "registered_by", "recorded_by"]
    list_select_related = ["user", "session__course"]
    readonly_fields = ["result", "recorded_by", "recorded_at"]


# === Organisations' price groups and prepaid hours (credits) =================================

from fabreck.fablab.models import (  # noqa: E402
    OrganisationPriceGroup,
    PrepaidAccount,
    PrepaidMovement,
)


@admin.register(OrganisationPriceGroup)
class OrganisationPriceGroupAdmin(admin.ModelAdmin):
    list_display = ["organisation", "price_group", "note"]
    list_filter = ["price_group"]
    search_fields = ["organisation__name"]
    raw_id_fields = ["organisation"]


class _ReadOnly(admin.ModelAdmin):
    # Balances move only through the services (under the account's lock): the admin reads.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PrepaidAccount)
class PrepaidAccountAdmin(_ReadOnly):
    list_display = ["organisation", "balance_hours"]
    search_fields = ["organisation__name"]
    list_select_related = ["organisation"]


@admin.register(PrepaidMovement)
class PrepaidMovementAdmin(_ReadOnly):
    list_display = ["at", "account", "kind", "hours", "booking", "by", "note"]
    list_filter = ["kind"]
    search_fields = ["account__organisation__name", "note"]
    list_select_related = ["account__organisation", "booking__resource", "by"]
    date_hierarchy = "at"
