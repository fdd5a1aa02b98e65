"""Makers of the calls lane's tests: application data as a founder would give it, files."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from fabreck.cluster.models import Commune, Sector
from fabreck.incubator.models import IncubatorCall, Question
from fabreck.incubator.services import ApplicationData, FounderData


def pdf(name: str = "deck.pdf", size: int = 2048) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 " + b"x" * (size - 9), "application/pdf")


def question(call: IncubatorCall, label: str) -> Question:
    return call.questions.get(label_en=label)


def data_make(
    call: IncubatorCall,
    *,
    startup_name: str = "Pixel Loom",
    founders: tuple[FounderData, ...] = (),
    answers: dict | None = None,
    complete: bool = True,
    **fields,
) -> ApplicationData:
    """Application data answering every question of `call_make`'s call (when complete)."""
    if answers is None:
        answers = {question(call, "Full time?").pk: "Yes"} if complete else {}
    return ApplicationData(
        startup_name=startup_name,
        sector=fields.pop("sector", None) or Sector.objects.get(slug="design"),
        commune=fields.pop("commune", None) or Commune.objects.get(slug="luxembourg"),
        idea=fields.pop("idea", "Woven textiles that light up." if complete else ""),
        market=fields.pop("market", "Interior designers" if complete else ""),
        needs=fields.pop("needs", "Laser cutting and a sales mentor" if complete else ""),
        founders=list(founders),
        answers=answers,
        **fields,
    )
