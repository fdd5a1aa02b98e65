"""Serializers of the prototyping projects' API. Sections are appended per capability."""

from __future__ import annotations

# --- gallery: documentations and the public gallery ---------------------------------------
from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework import serializers

from fabreck.cluster.models import Organisation, Sector
from fabreck.fablab.models import Material, Resource, Site
from fabreck.projects.models import (
    Collaborator,
    Documentation,
    DocumentationFile,
    DocumentationStatus,
    Licence,
    Step,
)
from fabreck.projects.selectors import LICENCE_SHORT


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
