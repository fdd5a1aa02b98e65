from django.urls import path

from fabreck.projects import views

app_name = "projects"

urlpatterns: list = [
    path("projects/<int:pk>/", views.project_detail, name="detail"),
]


# --- gallery: the public gallery and the documentation editor -----------------------------

urlpatterns += [
    path("gallery/", views.gallery, name="gallery"),
    path("gallery/mine/", views.gallery_mine, name="gallery-mine"),
    path("gallery/new/", views.gallery_new, name="gallery-new"),
    path(
        "gallery/from-project/<int:pk>/",
        views.gallery_from_project,
        name="gallery-from-project",
    ),
    path(
        "gallery/invitations/<str:secret>/",
        views.gallery_invitation,
        name="gallery-invitation",
    ),
    path("gallery/<slug:slug>/", views.gallery_detail, name="gallery-detail"),
    path("gallery/<slug:slug>/files/<int:pk>/", views.gallery_file, name="gallery-file"),
    path("gallery/<slug:slug>/edit/", views.gallery_edit, name="gallery-edit"),
    path("gallery/<slug:slug>/delete/", views.gallery_delete, name="gallery-delete"),
    path("gallery/<slug:slug>/publish/", views.gallery_publish, name="gallery-publish"),
    path("gallery/<slug:slug>/withdraw/", views.gallery_withdraw, name="gallery-withdraw"),
    path("gallery/<slug:slug>/steps/", views.gallery_step_add, name="gallery-step-add"),
    path(
        "gallery/<slug:slug>/steps/<int:pk>/",
        views.gallery_step_edit,
        name="gallery-step-edit",
    ),
    path(
        "gallery/<slug:slug>/steps/<int:pk>/move/",
        views.gallery_step_move,
        name="gallery-step-move",
    ),
    path(
        "gallery/<slug:slug>/steps/<int:pk>/delete/",
        views.gallery_step_delete,
        name="gallery-step-delete",
    ),
    path("gallery/<slug:slug>/files/", views.gallery_file_add, name="gallery-file-add"),
    path(
        "gallery/<slug:slug>/files/<int:pk>/delete/",
        views.gallery_file_delete,
        name="gallery-file-delete",
    ),
    path(
        "gallery/<slug:slug>/collaborators/",
        views.gallery_collaborator_invite,
        name="gallery-collaborator-invite",
    ),
    path(
        "gallery/<slug:slug>/collaborators/<int:pk>/remove/",
        views.gallery_collaborator_remove,
        name="gallery-collaborator-remove",
    ),
]
