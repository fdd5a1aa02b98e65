"""The site's URLs with the projects' API mounted where config/urls.py mounts it once the
branches are merged (/api/v1/projects/), for the tests of the statistics endpoint."""

from django.urls import include, path

from fabreck.config.urls import urlpatterns as site_urlpatterns

urlpatterns = list(site_urlpatterns)
if not any(getattr(p, "namespace", None) == "projects-api" for p in urlpatterns):
    urlpatterns.insert(0, path("api/v1/projects/", include("fabreck.projects.api_urls")))
