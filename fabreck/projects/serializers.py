"""Serializers of the projects' API. Sections are appended per capability."""

from __future__ import annotations

from rest_framework import serializers

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
