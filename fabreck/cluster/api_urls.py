from django.urls import path

from fabreck.cluster import api

urlpatterns = [
    path("organisations/", api.OrganisationListView.as_view(), name="api-organisations"),
    path(
        "organisations/<slug:slug>/",
        api.OrganisationDetailView.as_view(),
        name="api-organisation",
    ),
    path("sectors/", api.SectorListView.as_view(), name="api-sectors"),
    path("communes/", api.CommuneListView.as_view(), name="api-communes"),
    path("nace-classes/", api.NaceClassListView.as_view(), name="api-nace-classes"),
    path("competences/", api.CompetenceListView.as_view(), name="api-competences"),
]
