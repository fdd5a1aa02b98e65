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


# --- Collaboration requests (issue 3, item 6) -------------------------------------------
from fabreck.cluster.models import CollaborationMessage, CollaborationRequest  # noqa: E402


class CollaborationRequestSerializer(serializers.ModelSerializer):
    """A request as members read it, in the reader's language."""

    organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    competences = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)

    class Meta:
        model = CollaborationRequest
        fields = [
            "id", "organisation", "organisation_name", "kind", "kind_label", "title",
            "description", "competences", "deadline", "status", "status_label", "created_at",
            "updated_at", "closed_at",
        ]  # fmt: skip


class CollaborationMatchSerializer(serializers.Serializer):
    organisation = serializers.CharField(source="organisation.slug")
    name = serializers.CharField(source="organisation.name")
    score = serializers.FloatField()
    reasons = serializers.ListField(child=serializers.CharField())


class CollaborationRequestInputSerializer(serializers.Serializer):
    """What a client sends to post or change a request; the service checks the rules."""

    organisation = serializers.SlugRelatedField(
        slug_field="slug", queryset=Organisation.objects.all()
    )
    kind = serializers.ChoiceField(choices=CollaborationRequest.Kind.choices)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    competences = serializers.SlugRelatedField(
        slug_field="slug",
        many=True,
        required=False,
        queryset=Competence.objects.filter(is_active=True),
    )
    deadline = serializers.DateField(required=False, allow_null=True, default=None)


class CollaborationMessageSerializer(serializers.ModelSerializer):
    """A message as either side reads it: the sender's name, never an e-mail address."""

    sender_name = serializers.SerializerMethodField()
    sender_organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    recipient_organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = CollaborationMessage
        fields = [
            "id", "request", "sender_name", "sender_organisation", "recipient_organisation",
            "parent", "body", "created_at",
        ]  # fmt: skip

    def get_sender_name(self, message: CollaborationMessage) -> str:
        sender = message.sender
        return f"{sender.first_name} {sender.last_name}".strip() if sender else ""


class CollaborationMessageInputSerializer(serializers.Serializer):
    body = serializers.CharField(allow_blank=True, trim_whitespace=False)
    sender_organisation = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Organisation.objects.all(),
        required=False,
        help_text="The organisation you write for; needed only if you belong to several.",
    )
    recipient_organisation = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Organisation.objects.all(),
        required=False,
        help_text="Whom to write to; the request's organisation when left out.",
    )
    parent = serializers.PrimaryKeyRelatedField(
        queryset=CollaborationMessage.objects.all(), required=False, allow_null=True
    )
