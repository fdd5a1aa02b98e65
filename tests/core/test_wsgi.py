"""A gunicorn worker loads every view and each language's translations when it boots, not
on its first requests (half a second on a fresh worker: the first visitors waited)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

PROBE = """
import json, sys
import fabreck.config.wsgi
from django.utils.translation import trans_real
print(all(m in sys.modules for m in ("fabreck.events.api", "fabreck.cluster.views")))
print(json.dumps(sorted(trans_real._translations)))
"""


def test_the_wsgi_application_boots_with_its_views_and_translations_loaded(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "fabreck.config.settings_test",
        "FABRECK_VAR_DIR": str(tmp_path),
    }

    result = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )

    views_loaded, languages = result.stdout.split("\n")[:2]
    assert views_loaded == "True"
    assert {"de", "en", "fr"} <= set(json.loads(languages))
