"""The prototyping projects API, mounted at /api/v1/projects/. Sections are appended per
capability."""

from django.urls import path

from fabreck.projects import api

urlpatterns: list = []


# --- requests, status changes and comments -------------------------------------------------
urlpatterns += [
    path("", api.ProjectListCreateView.as_view(), name="api-projects"),
    path("<int:pk>/", api.ProjectDetailView.as_view(), name="api-project"),
    path("<int:pk>/status/", api.ProjectStatusView.as_view(), name="api-project-status"),
    path("<int:pk>/comments/", api.ProjectCommentsView.as_view(), name="api-project-comments"),
    path(
        "<int:pk>/files/<int:attachment_pk>/",
        api.ProjectAttachmentView.as_view(),
        name="api-project-attachment",
    ),
]


# --- Quotes and execution -------------------------------------------------------------------

urlpatterns += [
    path("<int:pk>/quotes/", api.ProjectQuoteListView.as_view(), name="api-projects-quotes"),
    path(
        "quotes/<int:pk>/accept/", api.QuoteAcceptView.as_view(), name="api-projects-quote-accept"
    ),
    path(
        "quotes/<int:pk>/reject/", api.QuoteRejectView.as_view(), name="api-projects-quote-reject"
    ),
]


# --- statistics (projstats) ---------------------------------------------------------------

urlpatterns += [
    path("statistics/", api.ProjectStatisticsView.as_view(), name="api-projects-statistics"),
]
