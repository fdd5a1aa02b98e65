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
    # gunicorn adds every --bind to a list: give the default only when the caller gave none.
    defaults: list[str] = []
    if not _has_option(args, "--bind", "-b"):
        defaults += ["--bind", os.environ.get("FABRECK_BIND", "127.0.0.1:8000")]
    if not _has_option(args, "--workers", "-w"):
        defaults += ["--workers", os.environ.get("WEB_CONCURRENCY", "2")]
    if not _has_option(args, "--access-logfile"):
        defaults += ["--access-logfile", "-"]
    from gunicorn.app.wsgiapp import run

    sys.argv = ["gunicorn", "fabreck.config.wsgi:application", *defaults, *args]
    run()


def _has_option(args: list[str], *names: str) -> bool:
    return any(arg in names or arg.startswith(tuple(f"{n}=" for n in names)) for arg in args)


if __name__ == "__main__":
    main()
