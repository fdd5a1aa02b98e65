from rest_framework import serializers

from fabreck.cluster.models import Commune, Competence, NaceClass, Organisation, Sector


class SectorSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = Sector
        fields = ["slug", "name", "name_en", "name_fr", "name_de"]


class CommuneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Commune
        fields = ["slug", "name", "canton"]


class NaceClassSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)

    class Meta:
        model = NaceClass
        fields = ["code", "rev21_code", "label", "label_en", "label_fr", "label_de"]


class CompetenceSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)
    sector = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Competence
        fields = [
            "slug", "label", "sector", "label_en", "label_fr", "label_de",
            "synonyms_en", "synonyms_fr", "synonyms_de",
        ]  # fmt: skip


class OrganisationListSerializer(serializers.ModelSerializer):
    """What the public directory shows of a member, in the reader's language."""

    description = serializers.CharField(read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    size_label = serializers.CharField(source="get_size_band_display", read_only=True)
    commune = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    sectors = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    competences = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)

    class Meta:
        model = Organisation
        fields = [
            "slug", "name", "kind", "kind_label", "size_band", "size_label", "commune",
            "sectors", "competences", "description", "website", "member_since",
        ]  # fmt: skip


class OrganisationDetailSerializer(OrganisationListSerializer):
    contact = serializers.SerializerMethodField()
    nace = serializers.SerializerMethodField()

    class Meta(OrganisationListSerializer.Meta):
        fields = [
            *OrganisationListSerializer.Meta.fields,
            "legal_form", "founded_year", "keywords",
            "description_en", "description_fr", "description_de", "nace", "contact",
        ]  # fmt: skip

    def get_contact(self, organisation: Organisation) -> dict[str, str]:
        """Only the contact fields the organisation chose to show."""
        contact = {"commune": organisation.commune.name}
        if organisation.show_address:
            contact |= {
                "street": organisation.street,
                "postcode": organisation.postcode,
                "locality": organisation.locality,
            }
        if organisation.show_email:
            contact["email"] = organisation.email
        if organisation.show_phone:
            contact["phone"] = organisation.phone
        return contact

    def get_nace(self, organisation: Organisation) -> list[dict]:
        return [
            {
                "code": link.nace_class.code,
                "label": link.nace_class.label,
                "primary": link.is_primary,
            }
            for link in organisation.organisationnace_set.all()
        ]


class OrganisationPatchSerializer(serializers.Serializer):
    """What PATCH accepts (documentation only: the application form validates it)."""

    name = serializers.CharField(required=False)
    slug = serializers.SlugField(required=False)
    kind = serializers.ChoiceField(choices=Organisation.Kind.choices, required=False)
    size_band = serializers.ChoiceField(choices=Organisation.Size.choices, required=False)
    commune = serializers.SlugField(required=False)
    sectors = serializers.ListField(child=serializers.SlugField(), required=False)
    competences = serializers.ListField(child=serializers.SlugField(), required=False)
    primary_nace = serializers.CharField(required=False)
    secondary_nace = serializers.ListField(child=serializers.CharField(), required=False)
    description_en = serializers.CharField(required=False, allow_blank=True)
    description_fr = serializers.CharField(required=False, allow_blank=True)
    description_de = serializers.CharField(required=False, allow_blank=True)
    keywords = serializers.CharField(required=False, allow_blank=True)
    website = serializers.URLField(required=False, allow_blank=True)
    directory_consent = serializers.BooleanField(required=False)
    show_email = serializers.BooleanField(required=False)
    show_phone = serializers.BooleanField(required=False)
    show_address = serializers.BooleanField(required=False)
