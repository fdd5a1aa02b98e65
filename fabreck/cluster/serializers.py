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
            "sectors", "competences", "description", "website", "member_since", "incubated",
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


# --- Calls for projects and consortia ------------------------------------------------

from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.translation import gettext_lazy as _  # noqa: E402

from fabreck.cluster.models import Call, Consortium, ConsortiumMembership  # noqa: E402


class CallListSerializer(serializers.ModelSerializer):
    """A call in the reader's language."""

    title = serializers.CharField(read_only=True)
    summary = serializers.CharField(read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    is_open = serializers.SerializerMethodField()
    sectors = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    competences = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    interested = serializers.IntegerField(read_only=True, default=None)

    class Meta:
        model = Call
        fields = [
            "slug", "kind", "kind_label", "title", "summary", "funder", "budget", "deadline",
            "status", "status_label", "is_open", "sectors", "competences", "external_url",
            "published_at", "interested",
        ]  # fmt: skip

    def get_is_open(self, call: Call) -> bool:
        return call.status == Call.Status.PUBLISHED and call.deadline > timezone.now()


class ConsortiumSummarySerializer(serializers.Serializer):
    """A consortium as the public call page shows it: accepted members listed in the
    directory by name."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    lead = serializers.SerializerMethodField()
    members = serializers.SerializerMethodField()

    def get_lead(self, consortium) -> dict | None:
        lead = consortium.lead
        return {"slug": lead.slug, "name": lead.name} if lead.is_public else None

    def get_members(self, consortium) -> list[dict]:
        return [
            {"slug": m.organisation.slug, "name": m.organisation.name}
            for m in consortium.accepted
            if m.organisation.is_public
        ]


class CallDetailSerializer(CallListSerializer):
    description = serializers.CharField(read_only=True)
    documents = serializers.SerializerMethodField()
    interested_organisations = serializers.SerializerMethodField()
    consortia = serializers.SerializerMethodField()

    class Meta(CallListSerializer.Meta):
        fields = [
            *CallListSerializer.Meta.fields,
            "description", "title_en", "title_fr", "title_de", "summary_en", "summary_fr",
            "summary_de", "description_en", "description_fr", "description_de", "documents",
            "interested_organisations", "consortia",
        ]  # fmt: skip

    def get_documents(self, call: Call) -> list[dict]:
        return [
            {
                "title": d.title,
                "filename": d.filename,
                "size": d.size,
                "url": reverse("cluster:call-document", args=[call.slug, d.pk]),
            }
            for d in call.documents.all()
        ]

    def get_interested_organisations(self, call: Call) -> list[dict]:
        return [
            {"slug": i.organisation.slug, "name": i.organisation.name}
            for i in call.public_interests
        ]

    def get_consortia(self, call: Call) -> list[dict]:
        return ConsortiumSummarySerializer(call.consortia_list, many=True).data


class CallWriteSerializer(serializers.Serializer):
    """What a cluster manager sends to create (POST) or change (PATCH) a call."""

    kind = serializers.ChoiceField(choices=Call.Kind.choices)
    slug = serializers.SlugField(max_length=80, required=False)
    title_en = serializers.CharField(max_length=200, required=False, allow_blank=True)
    title_fr = serializers.CharField(max_length=200, required=False, allow_blank=True)
    title_de = serializers.CharField(max_length=200, required=False, allow_blank=True)
    summary_en = serializers.CharField(max_length=500, required=False, allow_blank=True)
    summary_fr = serializers.CharField(max_length=500, required=False, allow_blank=True)
    summary_de = serializers.CharField(max_length=500, required=False, allow_blank=True)
    description_en = serializers.CharField(required=False, allow_blank=True)
    description_fr = serializers.CharField(required=False, allow_blank=True)
    description_de = serializers.CharField(required=False, allow_blank=True)
    funder = serializers.CharField(max_length=200)
    budget = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    deadline = serializers.DateTimeField()
    sectors = serializers.SlugRelatedField(
        slug_field="slug", many=True, required=False, queryset=Sector.objects.all()
    )
    competences = serializers.SlugRelatedField(
        slug_field="slug",
        many=True,
        required=False,
        queryset=Competence.objects.filter(is_active=True),
    )
    external_url = serializers.URLField(required=False, allow_blank=True)


class ConsortiumMemberSerializer(serializers.ModelSerializer):
    organisation = serializers.SerializerMethodField()
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = ConsortiumMembership
        fields = ["organisation", "status", "status_label", "invited_at", "responded_at"]

    def get_organisation(self, membership) -> dict:
        return {"slug": membership.organisation.slug, "name": membership.organisation.name}


class ConsortiumSerializer(serializers.ModelSerializer):
    """A consortium with every membership, for those involved."""

    call = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    lead = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    members = ConsortiumMemberSerializer(source="all_memberships", many=True, read_only=True)

    class Meta:
        model = Consortium
        fields = ["id", "name", "call", "lead", "members", "created_at"]


def _organisation_field(**kwargs) -> serializers.SlugRelatedField:
    from fabreck.cluster.models import Organisation

    return serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Organisation.objects.all(),
        error_messages={"does_not_exist": _("No organisation has the address “{value}”.")},
        **kwargs,
    )


class ConsortiumCreateSerializer(serializers.Serializer):
    call = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Call.objects.all(),
        error_messages={"does_not_exist": _("No call has the address “{value}”.")},
    )
    lead = _organisation_field()
    name = serializers.CharField(max_length=200)


class OrganisationChoiceSerializer(serializers.Serializer):
    organisation = _organisation_field()


class ConsortiumRespondSerializer(OrganisationChoiceSerializer):
    accept = serializers.BooleanField()
