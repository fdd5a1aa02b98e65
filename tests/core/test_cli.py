"""The `fabreck` console command wraps manage.py."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_console_command_runs_django_commands():
    fabreck = shutil.which("fabreck") or str(ROOT / ".venv" / "bin" / "fabreck")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "fabreck.config.settings_test"}

    result = subprocess.run(
        [fabreck, "help"], env=env, capture_output=True, text=True, timeout=60, check=False
    )

    assert result.returncode == 0, result.stderr
    for command in ("seed", "migrate", "demo_logins"):
        assert command in result.stdout
