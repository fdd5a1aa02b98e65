"""File storages shared by the apps."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateFileStorage(FileSystemStorage):
    """Files never published under MEDIA_URL (prototyping requests under NDA): a view
    checks who asks, then streams them. The directory follows
    settings.PRIVATE_MEDIA_ROOT at each use, so a test (or a deployment's settings) that
    moves it is obeyed even though file fields resolve their storage at import."""

    @property
    def base_location(self):  # type: ignore[override]
        return settings.PRIVATE_MEDIA_ROOT

    @property
    def location(self):  # type: ignore[override]
        return os.path.abspath(self.base_location)

    def __init__(self, **options) -> None:
        # Nothing is served there: links to a private file go through its view.
        options.setdefault("base_url", "/private-files-are-not-served/")
        super().__init__(**options)
