"""Copy the front-end libraries installed by npm into build/static/vendor/.

Django's staticfiles picks them up from there (STATICFILES_DIRS); collectstatic and
whitenoise serve them. Nothing is fetched from a CDN at run time.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "node_modules"
VENDOR = ROOT / "build" / "static" / "vendor"

# (file under node_modules, destination under vendor/)
FILES = [
    ("bootstrap/dist/css/bootstrap.min.css", "bootstrap/css/bootstrap.min.css"),
    ("bootstrap/dist/css/bootstrap.min.css.map", "bootstrap/css/bootstrap.min.css.map"),
    ("bootstrap/dist/js/bootstrap.bundle.min.js", "bootstrap/js/bootstrap.bundle.min.js"),
    ("bootstrap/dist/js/bootstrap.bundle.min.js.map", "bootstrap/js/bootstrap.bundle.min.js.map"),
    ("htmx.org/dist/htmx.min.js", "htmx/htmx.min.js"),
    ("swagger-ui-dist/swagger-ui.css", "swagger-ui/swagger-ui.css"),
    ("swagger-ui-dist/swagger-ui.css.map", "swagger-ui/swagger-ui.css.map"),
    ("swagger-ui-dist/swagger-ui-bundle.js", "swagger-ui/swagger-ui-bundle.js"),
    (
        "swagger-ui-dist/swagger-ui-standalone-preset.js",
        "swagger-ui/swagger-ui-standalone-preset.js",
    ),
    ("swagger-ui-dist/favicon-32x32.png", "swagger-ui/favicon-32x32.png"),
    # FullCalendar v6, free (MIT) plugins only; the global bundles include their CSS.
    ("@fullcalendar/core/index.global.min.js", "fullcalendar/core.min.js"),
    ("@fullcalendar/daygrid/index.global.min.js", "fullcalendar/daygrid.min.js"),
    ("@fullcalendar/timegrid/index.global.min.js", "fullcalendar/timegrid.min.js"),
    ("@fullcalendar/interaction/index.global.min.js", "fullcalendar/interaction.min.js"),
    ("@fullcalendar/list/index.global.min.js", "fullcalendar/list.min.js"),
    ("@fullcalendar/core/locales/en-gb.global.min.js", "fullcalendar/locales/en-gb.min.js"),
    ("@fullcalendar/core/locales/fr.global.min.js", "fullcalendar/locales/fr.min.js"),
    ("@fullcalendar/core/locales/de.global.min.js", "fullcalendar/locales/de.min.js"),
]


def main() -> int:
    missing = [src for src, _ in FILES if not (NODE / src).is_file()]
    if missing:
        print("Missing front-end files (run `npm ci`):", *missing, sep="\n  ", file=sys.stderr)
        return 1
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    for src, dest in FILES:
        target = VENDOR / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(NODE / src, target)
    print(f"Copied {len(FILES)} front-end files into {VENDOR.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
