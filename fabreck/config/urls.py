from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from fabreck.core import views as core_views

# The API first, under one prefix: an API request is resolved without trying every page
# pattern (the site's pages are mounted at the root by several apps), and a page pays one
# failed prefix test.
api_urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("v1/fablab/", include("fabreck.fablab.api_urls")),
    path("v1/events/", include("fabreck.events.api_urls")),
    path("v1/projects/", include("fabreck.projects.api_urls")),
    path("v1/incubator/", include("fabreck.incubator.api_urls")),
    path("v1/", include("fabreck.accounts.api_urls")),
    path("v1/", include("fabreck.cluster.api_urls")),
]

urlpatterns = [
    path("api/", include(api_urlpatterns)),
    path("", include("fabreck.core.urls")),
    path("accounts/", include("allauth.urls")),
    path("", include("fabreck.accounts.urls")),
    path("", include("fabreck.cluster.urls")),
    path("", include("fabreck.fablab.urls")),
    path("", include("fabreck.events.urls")),
    path("", include("fabreck.projects.urls")),
    path("incubator/", include("fabreck.incubator.urls")),
    path("admin/", admin.site.urls),
]

if settings.SERVE_MEDIA:
    urlpatterns += [
        re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    ]

handler400 = core_views.bad_request
handler403 = core_views.permission_denied
handler404 = core_views.page_not_found
handler500 = core_views.server_error
