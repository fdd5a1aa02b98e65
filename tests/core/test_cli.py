"""The `fabreck` console command wraps manage.py."""

import os
import shutil
import socket
import subprocess
import time
import urllib.request
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_serve_runs_gunicorn_on_the_given_address_only(tmp_path):
    fabreck = shutil.which("fabreck") or str(ROOT / ".venv" / "bin" / "fabreck")
    port, default_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "fabreck.config.settings_test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "FABRECK_BIND": f"127.0.0.1:{default_port}",  # must be ignored: --bind is given
    }
    server = subprocess.Popen(
        [fabreck, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    assert r.read() == b"ok"
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not answer within 30 s"
                time.sleep(0.2)
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{default_port}/healthz", timeout=2)
    finally:
        server.terminate()
        server.wait(timeout=20)
