"""Administration of prototyping projects. Sections are appended per capability."""

from __future__ import annotations

# --- gallery: documentations (moderation) -------------------------------------------------
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from fabreck.projects.models import Documentation, Step


class StepInline(admin.TabularInline):
    model = Step
    extra = 0
    fields = ["position", "title"]
    readonly_fields = ["position", "title"]
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Documentation)
class DocumentationAdmin(admin.ModelAdmin):
    """Written by their authors on the site; here administrators look and, when one should
    not be public, withdraw it (through the service, like its author would)."""

    list_display = ["title", "status", "licence", "site", "author", "confidential", "published_at"]
    list_filter = ["status", "licence", "site", "confidential"]
    search_fields = ["slug", "title", "author__email"]
    date_hierarchy = "published_at"
    inlines = [StepInline]
    actions = ["withdraw"]
    readonly_fields = [
        field.name for field in Documentation._meta.get_fields() if field.concrete
    ] + ["machines", "materials"]
    exclude = ["search_text"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Withdraw from the gallery"), permissions=["change"])
    def withdraw(self, request, queryset) -> None:
        from fabreck.projects.services import documentation_withdraw

        done = 0
        for documentation in queryset.filter(status="published"):
            try:
                documentation_withdraw(documentation=documentation, by=request.user)
            except ValidationError:
                continue
            done += 1
        self.message_user(
            request,
            _("%(n)d documentation(s) withdrawn from the gallery.") % {"n": done},
            messages.SUCCESS,
        )
