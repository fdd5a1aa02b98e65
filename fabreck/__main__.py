"""The `fabreck` console command: Django's manage.py, plus `serve` (gunicorn) and `seed`."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fabreck.config.settings")
    if len(argv) > 1 and argv[1] == "serve":
        _serve(argv[2:])
        return
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


def _serve(args: list[str]) -> None:
    """Run the site under gunicorn; extra arguments go to gunicorn (e.g. --bind, --workers)."""
    bind = os.environ.get("FABRECK_BIND", "127.0.0.1:8000")
    workers = os.environ.get("WEB_CONCURRENCY", "2")
    gunicorn_args = [
        "gunicorn",
        "fabreck.config.wsgi:application",
        "--bind",
        bind,
        "--workers",
        workers,
        "--access-logfile",
        "-",
        *args,
    ]
    from gunicorn.app.wsgiapp import run

    sys.argv = gunicorn_args
    run()


if __name__ == "__main__":
    main()
