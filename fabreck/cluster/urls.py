from django.urls import path

from fabreck.cluster import views

app_name = "cluster"

urlpatterns = [
    path("directory/", views.directory, name="directory"),
    path("directory/export.csv", views.directory_export, {"fmt": "csv"}, name="export-csv"),
    path("directory/export.xlsx", views.directory_export, {"fmt": "xlsx"}, name="export-xlsx"),
    path("directory/<slug:slug>/", views.profile, name="profile"),
    path("cluster/apply/", views.apply, name="apply"),
    path("cluster/my-organisations/", views.my_organisations, name="my-organisations"),
    path("cluster/applications/", views.applications, name="applications"),
    path("cluster/summary/", views.summary, name="summary"),
    path("cluster/matchmaking/", views.matchmaking, name="matchmaking"),
    path(
        "cluster/organisations/<slug:slug>/export.json",
        views.organisation_export,
        name="organisation-export",
    ),
    path(
        "cluster/organisations/<slug:slug>/delete/",
        views.organisation_delete_view,
        name="organisation-delete",
    ),
    path("cluster/applications/<slug:slug>/decide/", views.decide, name="decide"),
    path("cluster/organisations/<slug:slug>/edit/", views.organisation_edit, name="edit"),
    path(
        "cluster/organisations/<slug:slug>/people/",
        views.organisation_people_view,
        name="people",
    ),
    path(
        "cluster/organisations/<slug:slug>/people/<int:pk>/role/",
        views.person_role,
        name="person-role",
    ),
    path(
        "cluster/organisations/<slug:slug>/people/<int:pk>/remove/",
        views.person_remove_view,
        name="person-remove",
    ),
    path(
        "cluster/organisations/<slug:slug>/invitations/<int:pk>/withdraw/",
        views.invitation_revoke_view,
        name="invitation-revoke",
    ),
    path("cluster/invitations/<str:secret>/", views.invitation, name="invitation"),
    path("cluster/organisations/<slug:slug>/portfolio/", views.portfolio, name="portfolio"),
    path(
        "cluster/organisations/<slug:slug>/portfolio/<int:pk>/delete/",
        views.portfolio_item_delete_view,
        name="portfolio-delete",
    ),
]

# --- Collaboration requests (issue 3, item 6) -------------------------------------------
urlpatterns += [
    path("cluster/collaboration/", views.collaboration_list, name="collaboration"),
    path("cluster/collaboration/new/", views.collaboration_post, name="collaboration-post"),
    path(
        "cluster/collaboration/inbox/",
        views.collaboration_inbox_view,
        name="collaboration-inbox",
    ),
    path(
        "cluster/collaboration/<int:pk>/",
        views.collaboration_detail,
        name="collaboration-detail",
    ),
    path(
        "cluster/collaboration/<int:pk>/edit/",
        views.collaboration_edit,
        name="collaboration-edit",
    ),
    path(
        "cluster/collaboration/<int:pk>/close/",
        views.collaboration_status,
        {"action": "close"},
        name="collaboration-close",
    ),
    path(
        "cluster/collaboration/<int:pk>/reopen/",
        views.collaboration_status,
        {"action": "reopen"},
        name="collaboration-reopen",
    ),
    path(
        "cluster/collaboration/<int:pk>/answer/",
        views.collaboration_answer,
        name="collaboration-answer",
    ),
    path(
        "cluster/collaboration/<int:pk>/with/<slug:slug>/",
        views.collaboration_conversation,
        name="collaboration-conversation",
    ),
]

# Calls for projects and consortia
urlpatterns += [
    path("calls/", views.calls, name="calls"),
    path("calls/<slug:slug>/", views.call, name="call"),
    path("calls/<slug:slug>/documents/<int:pk>/", views.call_document, name="call-document"),
    path("calls/<slug:slug>/interest/", views.call_interest, name="call-interest"),
    path("calls/<slug:slug>/consortia/", views.consortium_new, name="consortium-new"),
    path("consortia/<int:pk>/", views.consortium, name="consortium"),
    path("consortia/<int:pk>/invite/", views.consortium_invite_view, name="consortium-invite"),
    path("consortia/<int:pk>/respond/", views.consortium_respond_view, name="consortium-respond"),
    path("consortia/<int:pk>/leave/", views.consortium_leave_view, name="consortium-leave"),
    path(
        "consortia/<int:pk>/hand-over/",
        views.consortium_hand_over_view,
        name="consortium-hand-over",
    ),
    path(
        "consortia/<int:pk>/dissolve/", views.consortium_dissolve_view, name="consortium-dissolve"
    ),
    path(
        "cluster/organisations/<slug:slug>/call-digest/",
        views.call_digest_consent,
        name="call-digest-consent",
    ),
    path("cluster/calls/", views.calls_manage, name="calls-manage"),
    path("cluster/calls/new/", views.call_new, name="call-new"),
    path("cluster/calls/<slug:slug>/edit/", views.call_edit, name="call-edit"),
    path(
        "cluster/calls/<slug:slug>/documents/",
        views.call_document_upload,
        name="call-document-add",
    ),
    path(
        "cluster/calls/<slug:slug>/documents/<int:pk>/delete/",
        views.call_document_remove,
        name="call-document-delete",
    ),
    path(
        "cluster/calls/<slug:slug>/publish/",
        views.call_status,
        {"action": "publish"},
        name="call-publish",
    ),
    path(
        "cluster/calls/<slug:slug>/close/",
        views.call_status,
        {"action": "close"},
        name="call-close",
    ),
]
