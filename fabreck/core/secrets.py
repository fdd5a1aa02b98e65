"""Secrets handed out once (API tokens, invitation links, calendar feeds): only their
SHA-256 digest is stored, so a leaked database opens nothing."""

from __future__ import annotations

import hashlib


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
