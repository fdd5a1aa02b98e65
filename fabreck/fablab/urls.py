from django.urls import path

from fabreck.fablab import views

app_name = "fablab"

urlpatterns = [
    path("fablab/bookings/<int:pk>/", views.booking_detail, name="booking"),
]
