from django.urls import path

from fabreck.projects import api

app_name = "projects-api"

urlpatterns: list = []


# --- gallery: documentations and the public gallery ---------------------------------------

urlpatterns += [
    path("gallery/", api.GalleryListView.as_view(), name="gallery"),
    path("gallery/<slug:slug>/", api.GalleryDetailView.as_view(), name="gallery-detail"),
    path("documentations/", api.DocumentationListCreateView.as_view(), name="documentations"),
    path(
        "documentations/<int:pk>/",
        api.DocumentationDetailApiView.as_view(),
        name="documentation",
    ),
    path(
        "documentations/<int:pk>/publish/",
        api.DocumentationPublishView.as_view(),
        name="documentation-publish",
    ),
    path(
        "documentations/<int:pk>/withdraw/",
        api.DocumentationWithdrawView.as_view(),
        name="documentation-withdraw",
    ),
    path(
        "documentations/<int:pk>/steps/",
        api.DocumentationStepsView.as_view(),
        name="documentation-steps",
    ),
    path(
        "documentations/<int:pk>/steps/order/",
        api.DocumentationStepsOrderView.as_view(),
        name="documentation-steps-order",
    ),
    path(
        "documentations/<int:pk>/steps/<int:step_pk>/",
        api.DocumentationStepView.as_view(),
        name="documentation-step",
    ),
    path(
        "documentations/<int:pk>/collaborators/",
        api.DocumentationCollaboratorsView.as_view(),
        name="documentation-collaborators",
    ),
    path(
        "documentations/<int:pk>/collaborators/<int:collaborator_pk>/",
        api.DocumentationCollaboratorView.as_view(),
        name="documentation-collaborator",
    ),
]
