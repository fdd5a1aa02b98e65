"""Building blocks of the requests and timeline tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile

from fabreck.projects.models import Attachment


def private_dir_make(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where attachments land in this test. The file field resolved its storage when the
    models were imported, so the STORAGES override of conftest does not reach it: the
    field's storage itself points into the test's directory."""
    location = tmp_path / "private-files"
    location.mkdir()
    monkeypatch.setattr(
        Attachment._meta.get_field("file"), "storage", FileSystemStorage(location=location)
    )
    return location


def stored_files(location: Path) -> list[Path]:
    return [path for path in location.rglob("*") if path.is_file()]


def upload(name: str = "drawing.pdf", content: bytes = b"%PDF-1.4 a drawing") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")
