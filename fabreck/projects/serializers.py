"""Serializers of the prototyping projects' API."""

# --- Quotes and execution -------------------------------------------------------------------

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from fabreck.projects.models import Quote, QuoteLine
from fabreck.projects.selectors import quote_line_label


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
