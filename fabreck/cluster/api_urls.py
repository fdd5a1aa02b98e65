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

# --- Collaboration requests (issue 3, item 6) -------------------------------------------
urlpatterns += [
    path(
        "collaboration-requests/",
        api.CollaborationRequestListView.as_view(),
        name="api-collaboration-requests",
    ),
    path(
        "collaboration-requests/<int:pk>/",
        api.CollaborationRequestDetailView.as_view(),
        name="api-collaboration-request",
    ),
    path(
        "collaboration-requests/<int:pk>/close/",
        api.CollaborationRequestStatusView.as_view(transition="close"),
        name="api-collaboration-request-close",
    ),
    path(
        "collaboration-requests/<int:pk>/reopen/",
        api.CollaborationRequestStatusView.as_view(transition="reopen"),
        name="api-collaboration-request-reopen",
    ),
    path(
        "collaboration-requests/<int:pk>/messages/",
        api.CollaborationMessageListView.as_view(),
        name="api-collaboration-messages",
    ),
]

# Calls for projects and consortia
urlpatterns += [
    path("calls/", api.CallListView.as_view(), name="api-calls"),
    path("calls/<slug:slug>/", api.CallDetailView.as_view(), name="api-call"),
    path(
        "calls/<slug:slug>/publish/",
        api.CallStatusView.as_view(action="publish"),
        name="api-call-publish",
    ),
    path(
        "calls/<slug:slug>/close/",
        api.CallStatusView.as_view(action="close"),
        name="api-call-close",
    ),
    path("calls/<slug:slug>/interest/", api.CallInterestView.as_view(), name="api-call-interest"),
    path("consortia/", api.ConsortiumListView.as_view(), name="api-consortia"),
    path("consortia/<int:pk>/", api.ConsortiumDetailView.as_view(), name="api-consortium"),
    path(
        "consortia/<int:pk>/invitations/",
        api.ConsortiumInvitationView.as_view(),
        name="api-consortium-invitations",
    ),
    path(
        "consortia/<int:pk>/respond/",
        api.ConsortiumRespondView.as_view(),
        name="api-consortium-respond",
    ),
    path(
        "consortia/<int:pk>/leave/", api.ConsortiumLeaveView.as_view(), name="api-consortium-leave"
    ),
]
