"""Django admin of the incubator."""

from django.contrib import admin

from fabreck.incubator import models


@admin.register(models.Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ("name", "year", "starts_on")
    prepopulated_fields = {"slug": ("name",)}


class QuestionInline(admin.TabularInline):
    model = models.Question
    extra = 0


class CriterionInline(admin.TabularInline):
    model = models.Criterion
    extra = 0


@admin.register(models.IncubatorCall)
class IncubatorCallAdmin(admin.ModelAdmin):
    list_display = ("title_en", "cohort", "opens_at", "closes_at", "published")
    list_filter = ("published", "cohort")
    inlines = [QuestionInline, CriterionInline]


@admin.register(models.Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ("startup_name", "call", "status", "submitted_at")
    list_filter = ("status", "call")
    search_fields = ("startup_name", "applicant__email")
    raw_id_fields = ("applicant", "organisation", "decided_by")


@admin.register(models.Incubation)
class IncubationAdmin(admin.ModelAdmin):
    list_display = ("organisation", "cohort", "phase", "started_on", "left_on")
    list_filter = ("phase", "cohort")
    raw_id_fields = ("organisation", "application")


@admin.register(models.Mentor)
class MentorAdmin(admin.ModelAdmin):
    list_display = ("user", "active")
    raw_id_fields = ("user",)
    filter_horizontal = ("competences",)


# --- reviews ---
class ScoreInline(admin.TabularInline):
    model = models.Score
    extra = 0


@admin.register(models.Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ("application", "reviewer", "status", "submitted_at")
    list_filter = ("status", "application__call")
    search_fields = ("application__startup_name", "reviewer__email")
    raw_id_fields = ("application", "reviewer", "assigned_by")
    inlines = [ScoreInline]
