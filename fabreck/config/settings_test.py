"""Settings for the test suite: the production settings, on plain HTTP with fast hashing.

The environment still decides the database (DATABASE_URL), so the same suite runs on
SQLite and on PostgreSQL.
"""

import os

os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("HTTPS", "0")
os.environ.setdefault("SECRET_KEY", "tests-only-not-secret")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
# Templates resolve {% static %} without a collectstatic manifest.
os.environ.setdefault(
    "STATICFILES_STORAGE", "django.contrib.staticfiles.storage.StaticFilesStorage"
)

from fabreck.config.settings import *  # noqa: F403

# Hashing passwords at full strength would make the suite minutes slower.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Serve static files straight from the finders (the live server of the browser tests).
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

# The registration e-mails are sent on commit (in-process: Celery is eager), so that a
# test reads them in mail.outbox as soon as the registration is made.
EMAIL_OUTBOX_SEND_ON_COMMIT = True
