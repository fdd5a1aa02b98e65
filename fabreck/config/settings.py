"""Fabreck settings, read from the environment.

Safe by default: DEBUG is off unless DEBUG=1, and with DEBUG off the site insists on a
SECRET_KEY and on HTTPS (secure cookies, HSTS, redirect) unless HTTPS=0 says it is served
over plain HTTP on a trusted host (the demo on 127.0.0.1).
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent  # the fabreck package
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("FABRECK_VAR_DIR", PROJECT_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
HTTPS = env_bool("HTTPS", not DEBUG)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY and os.environ.get("SECRET_KEY_FILE"):
    SECRET_KEY = Path(os.environ["SECRET_KEY_FILE"]).read_text().strip()
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "Set SECRET_KEY in the environment (or DEBUG=1 for development)."
        )
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Where the site is reached from outside: links in e-mails are built on it.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sites",
    # Ours come before allauth so that our templates override its layouts.
    "fabreck.core",
    "fabreck.accounts",
    "fabreck.cluster",
    "fabreck.fablab",
    "fabreck.events",
    "fabreck.projects",
    "fabreck.incubator",
    "allauth",
    "allauth.account",
    "rest_framework",
    "drf_spectacular",
    "django_htmx",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "fabreck.accounts.middleware.PreferredLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "fabreck.config.urls"
WSGI_APPLICATION = "fabreck.config.wsgi.application"
SITE_ID = 1

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "fabreck.core.context_processors.navigation",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------
# SQLite under var/ is the embedded default; DATABASE_URL=postgres://… for production.
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'fabreck.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # WAL and a busy timeout let readers and one writer share the file without "locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"].endswith("postgresql") and env_bool(
    "DATABASE_PREPARED_STATEMENTS", True
):
    # The hottest statements (token authentication, a registration) go through
    # core.sql.prepared_cursor: psycopg prepares each after this many runs on a connection,
    # and PostgreSQL stops planning it. Off (0) behind a pooler in transaction mode that
    # does not support prepared statements (PgBouncer before 1.21).
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 2
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- accounts -------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:profile"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_LOGOUT_ON_GET = False
# The issue asks that a sign-up with a taken address says so plainly, rather than
# pretending to send a verification mail.
ACCOUNT_PREVENT_ENUMERATION = False
ACCOUNT_SIGNUP_FORM_CLASS = "fabreck.accounts.forms.SignupDetailsForm"
ACCOUNT_ADAPTER = "fabreck.accounts.adapter.AccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Fabreck] "

# --- i18n -----------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French")), ("de", _("German"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Luxembourg"
LANGUAGE_COOKIE_NAME = "fabreck_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- static files ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PROJECT_DIR / "build" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
# Uploaded files (logos) are served by Django only for the demo and development; in
# production the web server in front serves MEDIA_ROOT at MEDIA_URL.
SERVE_MEDIA = env_bool("SERVE_MEDIA", DEBUG)
# Files only their project's people may read (prototyping requests under NDA): outside
# MEDIA_ROOT, served by a view that checks who asks.
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", str(VAR_DIR / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {"BACKEND": "fabreck.core.storage.PrivateFileStorage"},
    "staticfiles": {
        "BACKEND": os.environ.get(
            "STATICFILES_STORAGE",
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}

# --- e-mail ---------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Fabreck <no-reply@fabreck.lu>")
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# --- background work ------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
# Registration e-mails wait in an outbox (events.RegistrationNotice). On commit, a task
# sends them at once: on a Celery worker when there is a broker, in-process otherwise
# (the development server). A production site without a broker leaves them to the
# periodic job (`fabreck events_mails` from cron every minute), outside its requests.
EMAIL_OUTBOX_SEND_ON_COMMIT = env_bool("EMAIL_OUTBOX_SEND_ON_COMMIT", bool(REDIS_URL) or DEBUG)
CELERY_TIMEZONE = TIME_ZONE
# Periodic jobs for `celery beat`; each is also a management command for cron.
CELERY_BEAT_SCHEDULE = {
    "fablab-authorisation-expiry-reminders": {
        "task": "fabreck.fablab.tasks.authorisation_expiry_reminders",
        "schedule": crontab(hour=8, minute=0),
    },
    "fablab-no-shows": {
        "task": "fabreck.fablab.tasks.bookings_no_show_mark",
        "schedule": crontab(hour=23, minute=30),
    },
    # Monday 07:00 Luxembourg time: members learn of the week's calls that match them.
    "cluster-call-digest": {
        "task": "fabreck.cluster.tasks.call_digest",
        "schedule": crontab(minute=0, hour=7, day_of_week="monday"),
    },
    "events-children-retention": {
        "task": "fabreck.events.tasks.children_anonymise_expired",
        "schedule": crontab(hour=3, minute=15),
    },
    # Seat offers not claimed in time pass to the next in line; reminders 48 h before.
    "events-offers-expire": {
        "task": "fabreck.events.tasks.registration_offers_expire",
        "schedule": crontab(minute="*/5"),
    },
    # Registration e-mails left in the outbox (no broker, or a send that failed).
    "events-mails": {
        "task": "fabreck.events.tasks.registration_notices_send",
        "schedule": crontab(minute="*"),
    },
    "events-reminders": {
        "task": "fabreck.events.tasks.registration_reminders_send",
        "schedule": crontab(minute=0),
    },
}

# --- API ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "fabreck.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "fabreck.core.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON") or "60/min",
        "user": os.environ.get("API_THROTTLE_USER") or "1200/min",
    },
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "fabreck.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Fabreck API",
    "DESCRIPTION": "The API of the Fabreck platform: cluster, FabLabs, workshops, incubator.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v[0-9]",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "/static/vendor/swagger-ui",
    "SWAGGER_UI_FAVICON_HREF": "/static/fabreck/favicon.svg",
    # Choice sets that share a field name ("kind", "status") get names of their own.
    "ENUM_NAME_OVERRIDES": {
        "OrganisationKindEnum": "fabreck.cluster.models.OrganisationKind",
        "CollaborationKindEnum": "fabreck.cluster.models.CollaborationKind",
        "SiteKindEnum": "fabreck.fablab.models.Site.Kind",
        "ResourceKindEnum": "fabreck.fablab.models.Resource.Kind",
        "BookingKindEnum": "fabreck.fablab.models.Booking.Kind",
        "ResourceStatusEnum": "fabreck.fablab.models.ResourceStatus",
        "BookingStatusEnum": "fabreck.fablab.models.BookingStatus",
    },
}

# --- caches ---------------------------------------------------------------------------
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- security -------------------------------------------------------------------------
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000")) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_PROXY", False) else None
)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# The calls' choice sets get names of their own in the OpenAPI schema ("kind", "status").
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {
        "CallKindEnum": "fabreck.cluster.models.CallKind",
        "CallStatusEnum": "fabreck.cluster.models.CallStatus",
        "ConsortiumMembershipStatusEnum": "fabreck.cluster.models.ConsortiumMembershipStatus",
    }
)

# --- workshops and events: children's data, attendance (evkids) ---------------------------
# Children's profiles are anonymised this many months after their last session.
EVENTS_CHILD_RETENTION_MONTHS = int(os.environ.get("EVENTS_CHILD_RETENTION_MONTHS", "24"))
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "AttendanceEnum": "fabreck.events.models.Attendance",
        "RegistrationKindEnum": "fabreck.events.models.RegistrationKind",
        "RegistrationStatusEnum": "fabreck.events.models.RegistrationStatus",
    }
)

# Workshops and events: their choice sets get names of their own in the OpenAPI schema.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "EventKindEnum": "fabreck.events.models.EventKind",
        "EventStatusEnum": "fabreck.events.models.EventStatus",
        "EventAudienceEnum": "fabreck.events.models.Audience",
        "SessionStatusEnum": "fabreck.events.models.SessionStatus",
    }
)

# --- prototyping projects ---------------------------------------------------------------
# Luxembourg's standard VAT rate; each quote keeps the rate it was made with.
PROJECTS_VAT_RATE = os.environ.get("PROJECTS_VAT_RATE", "17.00")
# Staff hours on quotes and on the actual cost, unless staff type another rate.
PROJECTS_STAFF_HOURLY_RATE = os.environ.get("PROJECTS_STAFF_HOURLY_RATE", "55.00")
# Attachments of requests and timelines: largest size, and the kinds of file accepted.
PROJECTS_ATTACHMENT_MAX_BYTES = int(
    os.environ.get("PROJECTS_ATTACHMENT_MAX_BYTES", str(25 * 2**20))
)
PROJECTS_ATTACHMENT_EXTENSIONS = (
    "pdf",
    "png",
    "jpg",
    "jpeg",
    "gif",
    "webp",
    "svg",
    "dxf",
    "dwg",
    "step",
    "stp",
    "stl",
    "obj",
    "3mf",
    "iges",
    "igs",
    "f3d",
    "skp",
    "ai",
    "eps",
    "txt",
    "csv",
    "zip",
)

# --- prototyping projects: requests, status changes and comments (API enums) -------------
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "ProjectStatusEnum": "fabreck.projects.models.ProjectStatus",
        "RequesterKindEnum": "fabreck.projects.models.RequesterKind",
        "BudgetRangeEnum": "fabreck.projects.models.BudgetRange",
    }
)

# --- prototyping projects: quotes and execution ---------------------------------------------
# The quotes' choice sets get names of their own in the OpenAPI schema.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "QuoteStatusEnum": "fabreck.projects.models.QuoteStatus",
        "QuoteLineKindEnum": "fabreck.projects.models.QuoteLineKind",
    }
)
# PDF streams of quotes are compressed; tests turn it off to read the text in the file.
PROJECTS_QUOTE_PDF_COMPRESS = env_bool("PROJECTS_QUOTE_PDF_COMPRESS", True)


# --- prototyping projects: gallery --------------------------------------------------------
# The gallery's choice sets get names of their own in the OpenAPI schema ("status").
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "LicenceEnum": "fabreck.projects.models.Licence",
        "DocumentationStatusEnum": "fabreck.projects.models.DocumentationStatus",
    }
)


# --- incubator ------------------------------------------------------------------------------
# Machine hours granted to a startup when it is accepted, consumed by its FabLab bookings.
INCUBATOR_PREPAID_HOURS = Decimal(os.environ.get("INCUBATOR_PREPAID_HOURS") or "40")
# Pitch decks and files given as answers: largest size and the kinds accepted.
INCUBATOR_UPLOAD_MAX_BYTES = int(os.environ.get("INCUBATOR_UPLOAD_MAX_BYTES", str(20 * 2**20)))
INCUBATOR_UPLOAD_EXTENSIONS = ("pdf", "ppt", "pptx", "key", "odp", "png", "jpg", "jpeg", "mp4")
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "ApplicationStatusEnum": "fabreck.incubator.models.ApplicationStatus",
        "StartupStageEnum": "fabreck.incubator.models.StartupStage",
        "QuestionKindEnum": "fabreck.incubator.models.QuestionKind",
        "ReviewStatusEnum": "fabreck.incubator.models.ReviewStatus",
        "IncubationPhaseEnum": "fabreck.incubator.models.Phase",
        "HostingKindEnum": "fabreck.incubator.models.HostingKind",
        "StartupStatusEnum": "fabreck.incubator.models.StartupStatus",
        "PrepaidMovementKindEnum": "fabreck.fablab.models.PrepaidMovementKind",
    }
)

# --- incubator: KPI reminders (kpis) ---------------------------------------------------------
CELERY_BEAT_SCHEDULE["incubator-kpi-reminders"] = {
    "task": "fabreck.incubator.tasks.kpi_reminders_send",
    "schedule": crontab(hour=8, minute=30),
}
