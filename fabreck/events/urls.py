from django.urls import path

app_name = "events"

urlpatterns: list = []

# --- registrations and the waitlist -------------------------------------------------------

from fabreck.events import views  # noqa: E402

urlpatterns += [
    path("events/claim/<str:token>/", views.offer_claim, name="claim"),
]
