from django.http import HttpRequest

from fabreck.core.navigation import nav_entries_for


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    return {
        "nav_main": lambda: nav_entries_for(user, section="main"),
        "nav_user": lambda: nav_entries_for(user, section="user"),
    }
