from django.contrib import admin
from django.core.cache import cache

from fabreck.cluster.models import (
    Commune,
    Competence,
    NaceClass,
    NaceSector,
    Organisation,
    OrganisationInvitation,
    OrganisationNace,
    OrganisationPerson,
    PortfolioItem,
    Sector,
)
from fabreck.cluster.selectors import TAXONOMY_CACHE_KEY
from fabreck.cluster.services import (
    organisation_search_text_refresh,
)


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ["slug", "name_en", "name_fr", "name_de", "position"]
    search_fields = ["slug", "name_en", "name_fr", "name_de"]


class NaceSectorInline(admin.TabularInline):
    model = NaceSector
    extra = 0


@admin.register(NaceClass)
class NaceClassAdmin(admin.ModelAdmin):
    list_display = ["code", "label_en", "label_fr", "label_de", "rev21_code"]
    search_fields = ["code", "label_en", "label_fr", "label_de"]
    inlines = [NaceSectorInline]


@admin.register(Commune)
class CommuneAdmin(admin.ModelAdmin):
    list_display = ["name", "canton", "slug"]
    list_filter = ["canton"]
    search_fields = ["name", "slug"]


@admin.register(Competence)
class CompetenceAdmin(admin.ModelAdmin):
    """Cluster managers keep the taxonomy: labels and synonyms in the three languages."""

    list_display = ["label_en", "label_fr", "label_de", "sector", "is_active"]
    list_filter = ["sector", "is_active"]
    search_fields = [
        "slug",
        "label_en",
        "label_fr",
        "label_de",
        "synonyms_en",
        "synonyms_fr",
        "synonyms_de",
    ]
    filter_horizontal = ["related_sectors"]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        cache.delete(TAXONOMY_CACHE_KEY)  # new labels or synonyms: search with them now


class OrganisationNaceInline(admin.TabularInline):
    model = OrganisationNace
    extra = 0
    autocomplete_fields = ["nace_class"]


class OrganisationPersonInline(admin.TabularInline):
    model = OrganisationPerson
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "size_band", "commune", "status", "directory_consent"]
    list_filter = ["status", "kind", "size_band", "sectors", "directory_consent"]
    search_fields = ["name", "slug", "email"]
    list_select_related = ["commune"]
    autocomplete_fields = ["commune"]
    filter_horizontal = ["sectors", "competences"]
    readonly_fields = ["status", "status_reason", "status_changed_at", "member_since"]
    inlines = [OrganisationNaceInline, OrganisationPersonInline]
    prepopulated_fields = {"slug": ["name"]}

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        organisation_search_text_refresh(organisation=form.instance)


@admin.register(OrganisationPerson)
class OrganisationPersonAdmin(admin.ModelAdmin):
    list_display = ["organisation", "user", "role", "joined_at"]
    list_filter = ["role"]
    search_fields = ["organisation__name", "user__email"]
    raw_id_fields = ["organisation", "user"]


@admin.register(PortfolioItem)
class PortfolioItemAdmin(admin.ModelAdmin):
    list_display = ["title", "organisation", "year"]
    search_fields = ["title", "organisation__name"]
    raw_id_fields = ["organisation"]


@admin.register(OrganisationInvitation)
class OrganisationInvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organisation", "role", "created_at", "expires_at", "accepted_at"]
    list_filter = ["role"]
    search_fields = ["email", "organisation__name"]
    raw_id_fields = ["organisation", "invited_by", "accepted_by"]
    # The secret link is only ever e-mailed; its digest is no use to anyone here.
    exclude = ["digest"]


@admin.register(NaceSector)
class NaceSectorAdmin(admin.ModelAdmin):
    list_display = ["nace_class", "sector", "link"]
    list_filter = ["sector", "link"]
    search_fields = ["nace_class__code"]


@admin.register(OrganisationNace)
class OrganisationNaceAdmin(admin.ModelAdmin):
    list_display = ["organisation", "nace_class", "is_primary"]
    list_filter = ["is_primary"]
    search_fields = ["organisation__name", "nace_class__code"]
    raw_id_fields = ["organisation", "nace_class"]


# --- Collaboration requests (issue 3, item 6) -------------------------------------------
from fabreck.cluster.models import CollaborationMessage, CollaborationRequest  # noqa: E402


@admin.register(CollaborationRequest)
class CollaborationRequestAdmin(admin.ModelAdmin):
    list_display = ["title", "organisation", "kind", "status", "deadline", "created_at"]
    list_filter = ["kind", "status"]
    search_fields = ["title", "description", "organisation__name"]
    list_select_related = ["organisation"]
    raw_id_fields = ["organisation", "author"]
    filter_horizontal = ["competences"]
    readonly_fields = ["closed_at"]
    date_hierarchy = "created_at"


@admin.register(CollaborationMessage)
class CollaborationMessageAdmin(admin.ModelAdmin):
    """Read-only: messages were relayed by e-mail; editing them would rewrite history."""

    list_display = ["created_at", "sender_organisation", "recipient_organisation", "request"]
    search_fields = ["body", "sender_organisation__name", "recipient_organisation__name"]
    list_select_related = ["sender_organisation", "recipient_organisation", "request"]
    raw_id_fields = ["request", "sender", "sender_organisation", "recipient_organisation", "parent"]
    date_hierarchy = "created_at"

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


# --- Calls for projects and consortia ------------------------------------------------

from fabreck.cluster.models import (  # noqa: E402
    Call,
    CallDigestConsent,
    CallDigestSent,
    CallDocument,
    CallInterest,
    Consortium,
    ConsortiumMembership,
)
from fabreck.cluster.services import call_search_text  # noqa: E402


class CallDocumentInline(admin.TabularInline):
    model = CallDocument
    extra = 0
    fields = ["title", "filename", "size", "uploaded_at"]
    readonly_fields = ["filename", "size", "uploaded_at"]
    # Uploads go through the managers' page, where type and size are checked.
    can_delete = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ["slug", "title_en", "kind", "status", "deadline", "funder"]
    list_filter = ["status", "kind", "sectors"]
    search_fields = ["slug", "title_en", "title_fr", "title_de", "funder"]
    filter_horizontal = ["sectors", "competences"]
    readonly_fields = ["status", "published_at", "closed_at", "created_by"]
    inlines = [CallDocumentInline]
    date_hierarchy = "deadline"

    def save_model(self, request, obj, form, change) -> None:
        obj.search_text = call_search_text(obj)
        super().save_model(request, obj, form, change)


@admin.register(CallDocument)
class CallDocumentAdmin(admin.ModelAdmin):
    list_display = ["title", "call", "filename", "size", "uploaded_at"]
    search_fields = ["title", "filename", "call__slug"]
    list_select_related = ["call"]
    raw_id_fields = ["call", "uploaded_by"]
    readonly_fields = ["file", "filename", "size"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(CallInterest)
class CallInterestAdmin(admin.ModelAdmin):
    list_display = ["call", "organisation", "declared_by", "declared_at"]
    search_fields = ["call__slug", "organisation__name"]
    list_select_related = ["call", "organisation", "declared_by"]
    raw_id_fields = ["call", "organisation", "declared_by"]


class ConsortiumMembershipInline(admin.TabularInline):
    model = ConsortiumMembership
    extra = 0
    raw_id_fields = ["organisation", "invited_by", "responded_by"]


@admin.register(Consortium)
class ConsortiumAdmin(admin.ModelAdmin):
    list_display = ["name", "call", "lead", "created_at"]
    search_fields = ["name", "call__slug", "lead__name"]
    list_select_related = ["call", "lead"]
    raw_id_fields = ["call", "lead", "created_by"]
    inlines = [ConsortiumMembershipInline]


@admin.register(ConsortiumMembership)
class ConsortiumMembershipAdmin(admin.ModelAdmin):
    list_display = ["consortium", "organisation", "status", "invited_at", "responded_at"]
    list_filter = ["status"]
    search_fields = ["consortium__name", "organisation__name"]
    list_select_related = ["consortium", "organisation"]
    raw_id_fields = ["consortium", "organisation", "invited_by", "responded_by"]


@admin.register(CallDigestConsent)
class CallDigestConsentAdmin(admin.ModelAdmin):
    list_display = ["organisation", "given_by", "given_at"]
    search_fields = ["organisation__name"]
    list_select_related = ["organisation", "given_by"]
    raw_id_fields = ["organisation", "given_by"]


@admin.register(CallDigestSent)
class CallDigestSentAdmin(admin.ModelAdmin):
    list_display = ["organisation", "call", "sent_at"]
    search_fields = ["organisation__name", "call__slug"]
    list_select_related = ["organisation", "call"]
    raw_id_fields = ["organisation", "call"]
