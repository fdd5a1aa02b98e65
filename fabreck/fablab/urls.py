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


# === Staff side: trainings, the site desk, the kiosk ========================================
# Put first: their literal segments (trainings, desk, kiosk) must win over site and
# resource slugs in the patterns above.

from django.urls import register_converter  # noqa: E402


class _UsageAction:
    regex = "check-in|check-out|no-show"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(_UsageAction, "usage")

_site = "fablab/<slug:site>/desk"

urlpatterns[:0] = [
    path("fablab/trainings/", views.trainings, name="trainings"),
    path("fablab/trainings/<int:pk>/register/", views.training_register, name="training-register"),
    path(
        "fablab/trainings/<int:pk>/unregister/",
        views.training_unregister,
        name="training-unregister",
    ),
    path("fablab/my-trainings/", views.my_trainings, name="my-trainings"),
    path("fablab/desk/", views.desk_home, name="desk-home"),
    path(f"{_site}/", views.desk, name="desk"),
    path(
        f"{_site}/bookings/<int:pk>/<usage:action>/",
        views.desk_usage,
        name="desk-usage",
    ),
    path(
        f"{_site}/bookings/<int:pk>/materials/",
        views.desk_material_add,
        name="desk-material-add",
    ),
    path(
        f"{_site}/bookings/<int:pk>/materials/<int:use>/delete/",
        views.desk_material_delete,
        name="desk-material-delete",
    ),
    path(f"{_site}/sessions/", views.desk_sessions, name="desk-sessions"),
    path(f"{_site}/sessions/<int:pk>/", views.desk_session, name="desk-session"),
    path(
        f"{_site}/sessions/<int:pk>/participants/<int:participant>/result/",
        views.desk_result,
        name="desk-result",
    ),
    path(
        f"{_site}/sessions/<int:pk>/participants/<int:participant>/remove/",
        views.desk_participant_remove,
        name="desk-participant-remove",
    ),
    path(f"{_site}/makers/", views.desk_maker, name="desk-maker"),
    path(
        f"{_site}/makers/<int:user>/price-group/", views.desk_price_group, name="desk-price-group"
    ),
    path(f"{_site}/authorisations/grant/", views.desk_grant, name="desk-grant"),
    path(
        f"{_site}/authorisations/<int:pk>/revoke/",
        views.desk_revoke,
        name="desk-revoke",
    ),
    path(f"{_site}/blocks/", views.desk_blocks, name="desk-blocks"),
    path(f"{_site}/blocks/<int:pk>/remove/", views.desk_block_remove, name="desk-block-remove"),
    path(f"{_site}/machines/", views.desk_resources, name="desk-resources"),
    path(
        f"{_site}/machines/<int:pk>/status/",
        views.desk_resource_status,
        name="desk-resource-status",
    ),
    path("fablab/<slug:site>/kiosk/", views.kiosk, name="kiosk"),
    path(
        "fablab/<slug:site>/kiosk/<int:pk>/<usage:action>/",
        views.kiosk_usage,
        name="kiosk-usage",
    ),
]


# === Prepaid hours (credits) =================================================================
# Put first: "prepaid-hours" must win over site slugs.

urlpatterns[:0] = [
    path("fablab/prepaid-hours/", views.credits_accounts, name="credits"),
    path("fablab/prepaid-hours/<slug:slug>/", views.credits_account, name="credits-account"),
]
