from django.urls import path

from fabreck.projects import views

app_name = "projects"

urlpatterns: list = [
    path("projects/<int:pk>/", views.project_detail, name="detail"),
]
