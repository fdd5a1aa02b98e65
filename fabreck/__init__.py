"""Fabreck: the platform of a creative-industries cluster, its incubator and its FabLabs."""

from fabreck.config.celery import app as celery_app

__all__ = ["celery_app"]
