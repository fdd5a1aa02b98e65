"""Admin of prototyping projects. Sections are appended per capability."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from fabreck.projects.models import (
    Attachment,
    Collaborator,
    Comment,
    Documentation,
    DocumentationFile,
    Project,
    ProjectBooking,
    Quote,
    QuoteLine,
    StaffTime,
    StatusChange,
    Step,
)

# --- requests, triage and timeline: every model of the app ---------------------------------
# Status, totals and the history are read-only here: a project moves only through
# services.project_transition (who may, which moves, e-mails), a quote through its service.


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class StatusChangeInline(ReadOnlyInline):
    model = StatusChange
    fields = ["changed_at", "from_status", "to_status", "changed_by", "note"]
    readonly_fields = fields


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fields = ["download", "size", "comment", "uploaded_by", "uploaded_at"]
    readonly_fields = fields

    @admin.display(description=_("file"))
    def download(self, attachment: Attachment) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("projects:attachment", args=[attachment.project_id, attachment.pk]),
            attachment.name,
        )


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = [
        "reference_display",
        "title",
        "status",
        "requester_kind",
        "organisation",
        "site",
        "lead",
        "confidential",
        "created_at",
    ]
    list_filter = ["status", "requester_kind", "site", "confidential", "budget_range"]
    search_fields = ["title", "organisation__name", "requested_by__email", "lead__email"]
    list_select_related = ["organisation", "site", "lead"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["organisation"]
    raw_id_fields = ["requested_by", "lead"]
    filter_horizontal = ["machine_categories", "competences"]
    readonly_fields = [
        "reference_display",
        "status",
        "status_changed_at",
        "requester_kind",
        "decline_reason",
        "cancel_reason",
        "delivered_at",
        "created_at",
        "updated_at",
    ]
    inlines = [StatusChangeInline, AttachmentInline]

    @admin.display(description=_("reference"), ordering="pk")
    def reference_display(self, project: Project) -> str:
        return project.reference


@admin.register(StatusChange)
class StatusChangeAdmin(admin.ModelAdmin):
    list_display = ["project", "from_status", "to_status", "changed_by", "changed_at"]
    list_filter = ["to_status", "from_status"]
    search_fields = ["project__title", "changed_by__email", "note"]
    list_select_related = ["project", "changed_by"]
    date_hierarchy = "changed_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["project", "author", "internal", "created_at"]
    list_filter = ["internal"]
    search_fields = ["project__title", "author__email", "body"]
    list_select_related = ["project", "author"]
    raw_id_fields = ["project", "author"]
    readonly_fields = ["created_at"]


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "size", "content_type", "uploaded_by", "uploaded_at"]
    search_fields = ["name", "project__title", "uploaded_by__email"]
    list_select_related = ["project", "uploaded_by"]
    raw_id_fields = ["project", "comment", "uploaded_by"]
    readonly_fields = ["file", "size", "content_type", "uploaded_at"]

    def has_add_permission(self, request) -> bool:
        return False  # files come through the project page (type and size checked)


class QuoteLineInline(ReadOnlyInline):
    model = QuoteLine
    fields = ["position", "kind", "description", "quantity", "unit", "unit_price", "total"]
    readonly_fields = fields


@admin.register(Quote)
class QuoteAdmin(admin.ModelAdmin):
    list_display = ["project", "version", "status", "gross_total", "created_at", "decided_at"]
    list_filter = ["status"]
    search_fields = ["project__title"]
    list_select_related = ["project"]
    readonly_fields = [
        "project",
        "version",
        "status",
        "price_group",
        "vat_rate",
        "net_total",
        "vat_total",
        "gross_total",
        "created_by",
        "created_at",
        "decided_by",
        "decided_at",
        "decision_note",
    ]
    inlines = [QuoteLineInline]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(QuoteLine)
class QuoteLineAdmin(admin.ModelAdmin):
    list_display = ["quote", "position", "kind", "description", "quantity", "unit_price", "total"]
    list_filter = ["kind"]
    search_fields = ["description", "quote__project__title"]
    list_select_related = ["quote"]
    readonly_fields = [
        "quote", "position", "kind", "resource", "material", "description", "quantity", "unit",
        "unit_price", "total",
    ]  # fmt: skip

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ProjectBooking)
class ProjectBookingAdmin(admin.ModelAdmin):
    list_display = ["project", "booking"]
    search_fields = ["project__title"]
    list_select_related = ["project", "booking"]
    raw_id_fields = ["project", "booking"]


@admin.register(StaffTime)
class StaffTimeAdmin(admin.ModelAdmin):
    list_display = ["project", "staff", "day", "hours", "hourly_rate"]
    list_filter = ["day"]
    search_fields = ["project__title", "staff__email", "note"]
    list_select_related = ["project", "staff"]
    raw_id_fields = ["project", "staff"]


class StepInline(admin.StackedInline):
    model = Step
    extra = 0


class DocumentationFileInline(admin.TabularInline):
    model = DocumentationFile
    extra = 0


class CollaboratorInline(admin.TabularInline):
    model = Collaborator
    extra = 0
    fields = ["email", "user", "invited_by", "invited_at", "accepted_at"]
    readonly_fields = ["invited_at"]
    raw_id_fields = ["user", "invited_by"]


@admin.register(Documentation)
class DocumentationAdmin(admin.ModelAdmin):
    list_display = ["title", "author", "status", "licence", "site", "confidential", "published_at"]
    list_filter = ["status", "licence", "site", "confidential"]
    search_fields = ["title", "slug", "summary", "author__email"]
    list_select_related = ["author", "site"]
    raw_id_fields = ["author", "organisation", "project"]
    readonly_fields = ["status", "confidential", "published_at", "consent_at"]
    inlines = [StepInline, DocumentationFileInline, CollaboratorInline]


@admin.register(Step)
class StepAdmin(admin.ModelAdmin):
    list_display = ["documentation", "position", "title"]
    search_fields = ["title", "documentation__title"]
    list_select_related = ["documentation"]


@admin.register(DocumentationFile)
class DocumentationFileAdmin(admin.ModelAdmin):
    list_display = ["name", "documentation", "size", "uploaded_at"]
    search_fields = ["name", "documentation__title"]
    list_select_related = ["documentation"]


@admin.register(Collaborator)
class CollaboratorAdmin(admin.ModelAdmin):
    list_display = ["email", "documentation", "user", "invited_at", "accepted_at"]
    list_filter = ["accepted_at"]
    search_fields = ["email", "documentation__title"]
    list_select_related = ["documentation", "user"]
    raw_id_fields = ["documentation", "user", "invited_by"]
    readonly_fields = ["invited_at"]


# --- gallery: withdrawing a documentation from the gallery ---------------------------------
# The documentation's writers publish; an administrator may take one out of the public
# gallery, through the service (as its author would).


@admin.action(description=_("Withdraw from the gallery"), permissions=["change"])
def documentation_withdraw_action(modeladmin, request, queryset) -> None:
    from fabreck.projects.services import documentation_withdraw

    done = 0
    for documentation in queryset.filter(status="published"):
        try:
            documentation_withdraw(documentation=documentation, by=request.user)
        except ValidationError:
            continue
        done += 1
    modeladmin.message_user(
        request,
        _("%(n)d documentation(s) withdrawn from the gallery.") % {"n": done},
        messages.SUCCESS,
    )


DocumentationAdmin.actions = (*(DocumentationAdmin.actions or ()), documentation_withdraw_action)
