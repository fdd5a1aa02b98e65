"""Production settings come from the environment and are safe by default."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_fabreck(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "HTTPS", "SECRET_KEY"}}
    base["DJANGO_SETTINGS_MODULE"] = "fabreck.config.settings"
    return subprocess.run(
        [sys.executable, "-m", "fabreck", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = run_fabreck(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY="x7Jq9-production-like-secret-" + "k" * 40,
        ALLOWED_HOSTS="fabreck.example.lu",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_without_debug_a_secret_key_is_required():
    result = run_fabreck("check", ALLOWED_HOSTS="fabreck.example.lu")

    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_production_defaults_are_secure():
    code = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS > 0, s.CELERY_TASK_ALWAYS_EAGER)"
    )
    result = run_fabreck("shell", "-c", code, SECRET_KEY="k" * 50)

    debug, *secure_flags, eager = result.stdout.splitlines()[-1].split()
    assert debug == "False"
    assert secure_flags == ["True"] * 4
    assert eager == "True"  # no REDIS_URL: tasks run in-process


def test_redis_url_switches_celery_to_a_broker():
    code = (
        "from django.conf import settings as s;"
        "print(s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL)"
    )
    result = run_fabreck(
        "shell", "-c", code, SECRET_KEY="k" * 50, REDIS_URL="redis://127.0.0.1:6390/0"
    )

    assert result.stdout.splitlines()[-1].split() == ["False", "redis://127.0.0.1:6390/0"]
