from django.contrib import admin

from fabreck.events.models import (
    Child,
    Event,
    Registration,
    RegistrationNotice,
    School,
    Session,
    TicketCategory,
)


class TicketCategoryInline(admin.TabularInline):
    model = TicketCategory
    extra = 0


class SessionInline(admin.TabularInline):
    model = Session
    extra = 0
    fields = ["starts_at", "ends_at", "capacity", "seats_taken", "status"]
    readonly_fields = ["seats_taken"]


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["title_en", "kind", "status", "site", "age_min", "age_max"]
    list_filter = ["kind", "status", "site"]
    search_fields = ["slug", "title_en", "title_fr", "title_de"]
    prepopulated_fields = {"slug": ["title_en"]}
    raw_id_fields = ["organiser"]
    inlines = [TicketCategoryInline, SessionInline]


@admin.register(TicketCategory)
class TicketCategoryAdmin(admin.ModelAdmin):
    list_display = ["name_en", "event", "price"]
    raw_id_fields = ["event"]


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["event", "starts_at", "capacity", "seats_taken", "status"]
    list_filter = ["status", "event__kind"]
    date_hierarchy = "starts_at"
    raw_id_fields = ["event"]
    # Seats move only through the services, with the registrations that hold them.
    readonly_fields = ["seats_taken"]


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ["name", "commune"]
    search_fields = ["name"]


@admin.register(Child)
class ChildAdmin(admin.ModelAdmin):
    list_display = ["pk", "first_name", "birth_year", "guardian", "anonymised_at"]
    search_fields = ["first_name", "guardian__email"]
    raw_id_fields = ["guardian"]
    readonly_fields = ["birth_year", "anonymised_at"]


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = ["pk", "session", "kind", "status", "seats", "attendance"]
    list_filter = ["status", "kind", "attendance"]
    raw_id_fields = ["session", "registered_by", "child", "attendee", "school", "cancelled_by"]
    # Statuses and seats move through the services (they keep the session's seat count).
    readonly_fields = ["status", "seats", "queued_at", "offered_at", "offer_expires_at"]


@admin.register(RegistrationNotice)
class RegistrationNoticeAdmin(admin.ModelAdmin):
    """The outbox of registration e-mails: the staff see what waits and why a send failed."""

    list_display = ["pk", "kind", "recipient", "session", "created_at", "attempts", "sent_at"]
    list_filter = ["kind"]
    raw_id_fields = ["session", "recipient"]
    readonly_fields = ["registration_ids", "created_at", "attempts", "last_error", "sent_at"]
