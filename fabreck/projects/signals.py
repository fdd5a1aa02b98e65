"""Signal receivers of prototyping projects, connected from ProjectsConfig.ready().
Sections are appended per capability."""

from __future__ import annotations

# --- gallery: the filters' options follow the catalogue -----------------------------------
from django.db.models.signals import post_delete, post_save

from fabreck.cluster.models import Sector
from fabreck.fablab.models import MachineCategory, Material, Resource, Site


def _gallery_options_forget(sender, **kwargs) -> None:
    from fabreck.projects.selectors import gallery_options_forget

    gallery_options_forget()


for _model in (MachineCategory, Resource, Material, Sector, Site):
    post_save.connect(_gallery_options_forget, sender=_model, dispatch_uid=f"gallery-{_model}")
    post_delete.connect(_gallery_options_forget, sender=_model, dispatch_uid=f"gallery-d{_model}")
