"""Pages of the incubator: thin views over the services and selectors."""

from __future__ import annotations
