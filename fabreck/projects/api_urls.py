from django.urls import path

from fabreck.projects import api

urlpatterns: list = []


# --- Quotes and execution -------------------------------------------------------------------

urlpatterns += [
    path("<int:pk>/quotes/", api.ProjectQuoteListView.as_view(), name="api-projects-quotes"),
    path(
        "quotes/<int:pk>/accept/", api.QuoteAcceptView.as_view(), name="api-projects-quote-accept"
    ),
    path(
        "quotes/<int:pk>/reject/", api.QuoteRejectView.as_view(), name="api-projects-quote-reject"
    ),
]
