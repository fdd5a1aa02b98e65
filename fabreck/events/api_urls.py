from django.urls import path  # noqa: F401  (sections below add their routes)

app_name = "events-api"

urlpatterns: list = []
