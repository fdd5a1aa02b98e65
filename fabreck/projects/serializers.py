"""Serializers of the prototyping projects API. Sections are appended per capability."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from fabreck.cluster.models import Organisation, Sector
from fabreck.fablab.models import Material, Resource, Site
from fabreck.projects.models import (
    Attachment,
    BudgetRange,
    Collaborator,
    Comment,
    Documentation,
    DocumentationFile,
    DocumentationStatus,
    Licence,
    Project,
    ProjectStatus,
    Quote,
    QuoteLine,
    RequesterKind,
    StatusChange,
    Step,
)
from fabreck.projects.selectors import LICENCE_SHORT, quote_line_label

# --- requests, status changes and comments -------------------------------------------------


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "name", "size", "content_type", "uploaded_at", "url"]

    def get_url(self, attachment: Attachment) -> str:
        """Where the file is downloaded (the API's address; the same checks as the page)."""
        return settings.SITE_URL + reverse(
            "api-project-attachment", args=[attachment.project_id, attachment.pk]
        )


class OrganisationRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class ProjectListSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=ProjectStatus.choices)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    requester_kind = serializers.ChoiceField(choices=RequesterKind.choices)
    budget_range = serializers.ChoiceField(choices=BudgetRange.choices)
    organisation = serializers.SerializerMethodField()
    site = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    lead = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = [
            "id", "reference", "title", "status", "status_label", "organisation",
            "requester_kind", "quantity", "deadline", "budget_range", "confidential", "site",
            "lead", "created_at", "status_changed_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(OrganisationRefSerializer(allow_null=True))
    def get_organisation(self, project: Project) -> dict | None:
        if project.organisation is None:
            return None
        return {"slug": project.organisation.slug, "name": project.organisation.name}

    def get_lead(self, project: Project) -> str | None:
        return project.lead.display_name if project.lead_id else None


class StatusChangeSerializer(serializers.ModelSerializer):
    from_status = serializers.CharField(read_only=True)
    to_status = serializers.ChoiceField(choices=ProjectStatus.choices)
    changed_by = serializers.CharField(source="changed_by.display_name", read_only=True)

    class Meta:
        model = StatusChange
        fields = ["from_status", "to_status", "changed_by", "changed_at", "note"]
        read_only_fields = fields


class ProjectDetailSerializer(ProjectListSerializer):
    machine_categories = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    competences = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    attachments = serializers.SerializerMethodField()
    status_changes = StatusChangeSerializer(many=True, read_only=True)

    class Meta(ProjectListSerializer.Meta):
        fields = [
            *ProjectListSerializer.Meta.fields,
            "goal", "description", "materials", "machine_categories", "competences",
            "decline_reason", "cancel_reason", "delivered_at", "attachments", "status_changes",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, project: Project) -> list[dict]:
        """The request's own files (those of comments come with the comments)."""
        files = [a for a in project.attachments.all() if a.comment_id is None]
        return AttachmentSerializer(files, many=True).data


class ProjectRequestInputSerializer(serializers.Serializer):
    """What a request sends (multipart/form-data to attach files). The request page's form
    validates it: the same rules and messages."""

    organisation = serializers.SlugField(
        required=False, help_text="Slug of an organisation you own or administer; omit as maker"
    )
    title = serializers.CharField(max_length=160)
    goal = serializers.CharField(max_length=2000)
    description = serializers.CharField(max_length=10000)
    machine_categories = serializers.ListField(child=serializers.SlugField(), required=False)
    competences = serializers.ListField(child=serializers.SlugField(), required=False)
    materials = serializers.CharField(required=False, max_length=2000)
    quantity = serializers.IntegerField(min_value=1)
    deadline = serializers.DateField(required=False)
    budget_range = serializers.ChoiceField(choices=BudgetRange.choices, required=False)
    confidential = serializers.BooleanField(required=False)
    attachments = serializers.ListField(child=serializers.FileField(), required=False)


class StatusChangeInputSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=ProjectStatus.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.display_name", read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "author", "body", "internal", "created_at", "attachments"]
        read_only_fields = fields


class CommentInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=5000)
    internal = serializers.BooleanField(
        required=False, default=False, help_text="Staff only: never shown to the organisation"
    )
    attachments = serializers.ListField(child=serializers.FileField(), required=False)


# --- Quotes and execution -------------------------------------------------------------------


class QuoteLineSerializer(serializers.ModelSerializer):
    label = serializers.SerializerMethodField(
        help_text="What the line is, in the caller's language where the catalogue has it."
    )
    machine = serializers.SlugRelatedField(source="resource", slug_field="slug", read_only=True)
    material = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = QuoteLine
        fields = [
            "position", "kind", "label", "description", "machine", "material", "quantity",
            "unit", "unit_price", "total",
        ]  # fmt: skip

    def get_label(self, line: QuoteLine) -> str:
        return quote_line_label(line)


class QuoteSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    price_group = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    decided_by = serializers.SerializerMethodField()
    lines = QuoteLineSerializer(many=True, read_only=True)
    pdf_url = serializers.SerializerMethodField()
    project = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Quote
        fields = [
            "id", "project", "version", "status", "status_label", "price_group", "vat_rate",
            "net_total", "vat_total", "gross_total", "valid_until", "note", "created_at",
            "decided_at", "decided_by", "decision_note", "lines", "pdf_url",
        ]  # fmt: skip

    def get_decided_by(self, quote: Quote) -> str | None:
        return quote.decided_by.display_name if quote.decided_by_id else None

    def get_pdf_url(self, quote: Quote) -> str:
        path = reverse("projects:quote-pdf", args=[quote.project_id, quote.version])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class QuoteRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


# --- statistics (projstats) ---------------------------------------------------------------


class StatisticsKindCountSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    projects = serializers.IntegerField()


class StatisticsRequestsYearSerializer(serializers.Serializer):
    year = serializers.IntegerField(allow_null=True, help_text="null: every year of the range")
    by_kind = StatisticsKindCountSerializer(many=True)
    total = serializers.IntegerField()


class StatisticsSiteHoursSerializer(serializers.Serializer):
    site = serializers.CharField(help_text="the site's slug")
    name = serializers.CharField()
    hours = serializers.DecimalField(max_digits=12, decimal_places=1)


class StatisticsHoursYearSerializer(serializers.Serializer):
    year = serializers.IntegerField(allow_null=True)
    by_site = StatisticsSiteHoursSerializer(many=True)
    total = serializers.DecimalField(max_digits=12, decimal_places=1)


class StatisticsDeliveryYearSerializer(serializers.Serializer):
    year = serializers.IntegerField(allow_null=True)
    delivered = serializers.IntegerField()
    average_days = serializers.DecimalField(max_digits=8, decimal_places=1, allow_null=True)
    median_days = serializers.DecimalField(max_digits=8, decimal_places=1, allow_null=True)


class StatisticsCostSerializer(serializers.Serializer):
    year = serializers.IntegerField(allow_null=True)
    site = serializers.CharField(allow_null=True, help_text="the site's slug; null: every site")
    projects = serializers.IntegerField()
    quoted = serializers.DecimalField(max_digits=14, decimal_places=2)
    actual = serializers.DecimalField(max_digits=14, decimal_places=2)
    difference = serializers.DecimalField(max_digits=14, decimal_places=2)
    over_quote = serializers.IntegerField()
    over_quote_share = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)


class ProjectStatisticsSerializer(serializers.Serializer):
    first_year = serializers.IntegerField()
    last_year = serializers.IntegerField()
    site = serializers.CharField(allow_null=True)
    requests = StatisticsRequestsYearSerializer(many=True)
    requests_total = StatisticsRequestsYearSerializer()
    machine_hours = StatisticsHoursYearSerializer(many=True)
    machine_hours_total = StatisticsHoursYearSerializer()
    delivery = StatisticsDeliveryYearSerializer(many=True)
    delivery_total = StatisticsDeliveryYearSerializer()
    costs = StatisticsCostSerializer(many=True)
    costs_by_year = StatisticsCostSerializer(many=True)
    costs_total = StatisticsCostSerializer()


# --- gallery: documentations and the public gallery ---------------------------------------


class GallerySiteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Site
        fields = ["slug", "name"]


class GalleryCardSerializer(serializers.ModelSerializer):
    """A documented project as the gallery lists it."""

    licence = serializers.ChoiceField(choices=Licence.choices)
    licence_short = serializers.SerializerMethodField()
    site = GallerySiteSerializer(allow_null=True)
    cover = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Documentation
        fields = ["slug", "title", "summary", "cover", "licence", "licence_short", "site"]
        fields += ["published_at", "url"]

    def get_licence_short(self, obj: Documentation) -> str:
        return str(LICENCE_SHORT.get(obj.licence, ""))

    def get_cover(self, obj: Documentation) -> str | None:
        return obj.cover.url if obj.cover else None

    def get_url(self, obj: Documentation) -> str:
        return reverse("projects:gallery-detail", args=[obj.slug])


class GalleryMachineSerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Resource
        fields = ["slug", "name", "category"]


class GalleryMaterialSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = Material
        fields = ["id", "name"]


class StepSerializer(serializers.ModelSerializer):
    image = serializers.SerializerMethodField()

    class Meta:
        model = Step
        fields = ["id", "position", "title", "body", "image"]

    def get_image(self, obj: Step) -> str | None:
        return obj.image.url if obj.image else None


class DocumentationFileSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = DocumentationFile
        fields = ["id", "name", "size", "url"]

    def get_url(self, obj: DocumentationFile) -> str:
        return reverse("projects:gallery-file", args=[obj.documentation.slug, obj.pk])


class DocumentationDetailSerializer(GalleryCardSerializer):
    """A documented project with its steps, machines, materials and files; `status` and
    `confidential` matter to its writers (the public sees published ones only)."""

    status = serializers.ChoiceField(choices=DocumentationStatus.choices)
    sector = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    author = serializers.CharField(source="author.display_name", read_only=True)
    project = serializers.SerializerMethodField()
    machines = serializers.SerializerMethodField()
    materials = serializers.SerializerMethodField()
    steps = serializers.SerializerMethodField()
    files = serializers.SerializerMethodField()

    class Meta(GalleryCardSerializer.Meta):
        fields = [*GalleryCardSerializer.Meta.fields, "id", "status", "confidential"]
        fields += ["sector", "organisation", "author", "project", "machines", "materials"]
        fields += ["steps", "files", "consent_at"]

    def get_project(self, obj: Documentation) -> str | None:
        return obj.project.reference if obj.project_id else None

    def _page_data(self, obj: Documentation) -> dict:
        return self.context.get("data") or {}

    def get_machines(self, obj: Documentation) -> list[dict]:
        machines = self._page_data(obj).get("machines")
        if machines is None:
            machines = obj.machines.select_related("category")
        return GalleryMachineSerializer(machines, many=True).data

    def get_materials(self, obj: Documentation) -> list[dict]:
        materials = self._page_data(obj).get("materials")
        if materials is None:
            materials = obj.materials.all()
        return GalleryMaterialSerializer(materials, many=True).data

    def get_steps(self, obj: Documentation) -> list[dict]:
        steps = self._page_data(obj).get("steps")
        if steps is None:
            steps = obj.steps.order_by("position")
        return StepSerializer(steps, many=True).data

    def get_files(self, obj: Documentation) -> list[dict]:
        files = self._page_data(obj).get("files")
        if files is None:
            files = obj.files.all()
        for shared in files:
            shared.documentation = obj
        return DocumentationFileSerializer(files, many=True).data


class DocumentationSummarySerializer(serializers.ModelSerializer):
    """One of the documentations a user writes."""

    status = serializers.ChoiceField(choices=DocumentationStatus.choices)
    licence = serializers.ChoiceField(choices=Licence.choices)

    class Meta:
        model = Documentation
        fields = ["id", "slug", "title", "status", "licence", "confidential", "published_at"]
        fields += ["updated_at"]


class DocumentationWriteSerializer(serializers.Serializer):
    """What an author writes; machines by their slugs, materials by their ids."""

    title = serializers.CharField(max_length=160)
    summary = serializers.CharField(max_length=1000)
    licence = serializers.ChoiceField(choices=Licence.choices, required=False)
    site = serializers.SlugRelatedField(
        slug_field="slug", queryset=Site.objects.all(), required=False, allow_null=True
    )
    sector = serializers.SlugRelatedField(
        slug_field="slug", queryset=Sector.objects.all(), required=False, allow_null=True
    )
    organisation = serializers.SlugRelatedField(
        slug_field="slug", queryset=Organisation.objects.all(), required=False, allow_null=True
    )
    machines = serializers.SlugRelatedField(
        slug_field="slug", queryset=Resource.objects.all(), many=True, required=False
    )
    materials = serializers.PrimaryKeyRelatedField(
        queryset=Material.objects.all(), many=True, required=False
    )


class DocumentationCreateSerializer(DocumentationWriteSerializer):
    title = serializers.CharField(max_length=160, required=False)
    summary = serializers.CharField(max_length=1000, required=False)
    project = serializers.IntegerField(
        required=False,
        help_text="A delivered project you speak for: the draft is prefilled from it.",
    )

    def validate(self, attrs: dict) -> dict:
        if "project" not in attrs:
            for name in ("title", "summary"):
                if not attrs.get(name):
                    raise serializers.ValidationError({name: [_("This field is required.")]})
        return attrs


class StepWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=160)
    body = serializers.CharField(max_length=10000)


class StepPatchSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=160, required=False)
    body = serializers.CharField(max_length=10000, required=False)


class StepsOrderSerializer(serializers.Serializer):
    order = serializers.ListField(child=serializers.IntegerField(), max_length=200)


class PublishSerializer(serializers.Serializer):
    consent = serializers.BooleanField(
        help_text="I agree to publish this documentation publicly under the licence chosen."
    )


class CollaboratorSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = Collaborator
        fields = ["id", "email", "name", "invited_at", "accepted_at"]

    def get_name(self, obj: Collaborator) -> str | None:
        return obj.user.display_name if obj.user_id else None


class CollaboratorInviteSerializer(serializers.Serializer):
    email = serializers.EmailField()
