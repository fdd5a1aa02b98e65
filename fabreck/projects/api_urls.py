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


# --- gallery: documentations and the public gallery ---------------------------------------

urlpatterns += [
    path("gallery/", api.GalleryListView.as_view(), name="api-gallery"),
    path("gallery/<slug:slug>/", api.GalleryDetailView.as_view(), name="api-gallery-detail"),
    path("documentations/", api.DocumentationListCreateView.as_view(), name="api-documentations"),
    path(
        "documentations/<int:pk>/",
        api.DocumentationDetailApiView.as_view(),
        name="api-documentation",
    ),
    path(
        "documentations/<int:pk>/publish/",
        api.DocumentationPublishView.as_view(),
        name="api-documentation-publish",
    ),
    path(
        "documentations/<int:pk>/withdraw/",
        api.DocumentationWithdrawView.as_view(),
        name="api-documentation-withdraw",
    ),
    path(
        "documentations/<int:pk>/steps/",
        api.DocumentationStepsView.as_view(),
        name="api-documentation-steps",
    ),
    path(
        "documentations/<int:pk>/steps/order/",
        api.DocumentationStepsOrderView.as_view(),
        name="api-documentation-steps-order",
    ),
    path(
        "documentations/<int:pk>/steps/<int:step_pk>/",
        api.DocumentationStepView.as_view(),
        name="api-documentation-step",
    ),
    path(
        "documentations/<int:pk>/collaborators/",
        api.DocumentationCollaboratorsView.as_view(),
        name="api-documentation-collaborators",
    ),
    path(
        "documentations/<int:pk>/collaborators/<int:collaborator_pk>/",
        api.DocumentationCollaboratorView.as_view(),
        name="api-documentation-collaborator",
    ),
]
