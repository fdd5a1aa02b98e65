from django.urls import path, register_converter

from fabreck.fablab import views

app_name = "fablab"

urlpatterns = [
    path("fablab/bookings/<int:pk>/", views.booking_detail, name="booking"),
]


# === Public and maker pages (fablab-pages branch) =========================================


class SiteSlugConverter:
    """A slug that names an existing site, converted to the Site. Any other slug does not
    match, so /fablab/<word>/ pages listed after the site page still resolve."""

    regex = "[-a-zA-Z0-9_]+"

    def to_python(self, value: str):
        from fabreck.fablab.models import Site

        site = Site.objects.filter(slug=value).first()
        if site is None:
            raise ValueError(value)
        return site

    def to_url(self, value) -> str:
        return getattr(value, "slug", value)


register_converter(SiteSlugConverter, "fablab_site")

urlpatterns += [
    path("fablab/", views.sites, name="sites"),
    path("fablab/calendar/", views.calendar, name="calendar"),
    path("fablab/calendar/events/", views.calendar_events, name="calendar-events"),
    path("fablab/book/", views.book, name="book"),
    path("fablab/my-bookings/", views.my_bookings, name="my-bookings"),
    path("fablab/bookings/<int:pk>/cancel/", views.booking_cancel_view, name="booking-cancel"),
    path("fablab/bookings/<int:pk>/move/", views.booking_move, name="booking-move"),
    path("fablab/feeds/", views.feeds, name="feeds"),
    path("fablab/feeds/<int:pk>/revoke/", views.feed_revoke_view, name="feed-revoke"),
    path("fablab/feeds/<str:secret>.ics", views.feed_ics, name="feed-ics"),
    path("fablab/machines/<slug:slug>/", views.resource, name="resource"),
    path("fablab/<fablab_site:site>/", views.site, name="site"),
]
