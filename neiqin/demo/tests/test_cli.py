"""The ``neiqin`` console script: version, pass-through commands, demo, serve."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest

from neiqin import cli

ROOT = Path(__file__).resolve().parents[3]
NEIQIN = [sys.executable, "-m", "neiqin.cli"]  # the console script's target (pyproject [project.scripts])


def cli_env(home: Path) -> dict[str, str]:
    """A child environment on its own SQLite file: never the suite's settings or PostgreSQL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEIQIN_", "DJANGO_", "PYTEST_"))}
    env.update(NEIQIN_HOME=str(home), DJANGO_SETTINGS_MODULE="neiqin.settings", PYTHONUNBUFFERED="1")
    return env


def run_cli(*args: str, home: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*NEIQIN, *args], cwd=ROOT, env=cli_env(home), capture_output=True, text=True, timeout=timeout, check=False
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_console_script_points_at_cli_main():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]

    assert scripts == {"neiqin": "neiqin.cli:main"}


def test_version_prints_the_package_version(tmp_path):
    result = run_cli("--version", home=tmp_path)

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert result.returncode == 0
    assert result.stdout.strip() == f"neiqin {project['version']}"


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])

    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("demo", "serve", "worker", "manage", "createuser", "bench"):
        assert command in out


def test_manage_check_runs_django_checks(tmp_path):
    result = run_cli("manage", "check", home=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("argv", "django_argv"),
    [
        (["manage", "migrate", "--plan"], ["neiqin manage", "migrate", "--plan"]),
        (["manage", "--help"], ["neiqin manage", "--help"]),
        (["createuser", "lihua", "--role", "clerk"], ["neiqin", "createuser", "lihua", "--role", "clerk"]),
        (["bench", "--help"], ["neiqin", "bench", "--help"]),
        (["worker", "-w", "4"], ["neiqin", "run_huey", "-w", "4"]),
    ],
)
def test_django_commands_are_passed_through_untouched(monkeypatch, argv, django_argv):
    calls = []
    monkeypatch.setattr("django.core.management.execute_from_command_line", calls.append)

    assert cli.main(argv) == 0
    assert calls == [django_argv]


@pytest.mark.slow
def test_createuser_creates_a_login_in_the_database(tmp_path):
    assert run_cli("manage", "migrate", "-v", "0", home=tmp_path).returncode == 0
    created = run_cli(
        "createuser", "lihua", "--role", "clerk", "--name", "李华", "--password", "Xq7!long-enough", home=tmp_path
    )
    shown = run_cli(
        "manage",
        "shell",
        "-c",
        "from neiqin.accounts.models import User; u = User.objects.get(username='lihua');"
        "print(u.display_name, *u.groups.values_list('name', flat=True))",
        home=tmp_path,
    )

    assert created.returncode == 0, created.stderr
    assert "created lihua (clerk)" in created.stdout
    assert shown.stdout.splitlines()[-1].split() == ["李华", "clerk"]


def test_server_options_are_production_settings():
    options = cli.server_options(host="127.0.0.1", port=8123, workers=3)

    assert options["bind"] == ["127.0.0.1:8123"]
    assert options["workers"] == 3 and options["worker_class"] == "sync"
    assert options["timeout"] == 60 and options["graceful_timeout"] == 30
    assert options["accesslog"] == "-" and options["preload_app"] is False
    assert options.get("worker_tmp_dir") in (None, "/dev/shm")
    assert cli.server_options(host="::1", port=80, workers=1)["bind"] == ["[::1]:80"]


def test_demo_offers_every_generator_scale():
    from neiqin.demo.context import SCALES

    assert cli.DEMO_SCALES == tuple(SCALES)


def test_default_workers_is_two_per_core_plus_one_capped_at_four():
    assert cli.default_workers() == min(2 * (os.cpu_count() or 1) + 1, 4)


@pytest.mark.slow
def test_demo_without_serving_builds_once_prints_the_logins_and_then_reuses_the_data(tmp_path):
    first = run_cli("demo", "--no-serve", "--scale", "tiny", home=tmp_path, timeout=240)
    second = run_cli("demo", "--no-serve", "--scale", "tiny", home=tmp_path, timeout=240)

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    for login, role in [("admin", "管理员"), ("clerk", "销售内勤"), ("sales1", "业务员"), ("manager", "销售经理")]:
        assert login in first.stdout and role in first.stdout
    assert "demo1234" in first.stdout and "http://127.0.0.1:8000/" in first.stdout
    assert "客户 30 个" in first.stdout
    assert "沿用现有数据" in second.stdout and "客户 30 个" not in second.stdout
    assert "sales2" in second.stdout
    assert (tmp_path / "neiqin.sqlite3").exists() and (tmp_path / "static").is_dir()


@pytest.mark.slow
def test_serve_answers_healthz_through_gunicorn(tmp_path):
    port = free_port()
    server = subprocess.Popen(
        [*NEIQIN, "serve", "--port", str(port), "--workers", "1"],
        cwd=ROOT,
        env=cli_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        body, deadline = None, time.monotonic() + 15
        while body is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:  # noqa: S310
                    assert response.status == 200
                    assert response.headers["Content-Type"] == "application/json"
                    body = json.loads(response.read())
            except OSError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                time.sleep(0.3)
        assert body == {"status": "ok", "database": "ok", "engine": "sqlite"}
    finally:
        server.terminate()
        try:
            output, _ = server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            output, _ = server.communicate()
    assert "Starting gunicorn" in output and "GET /healthz" in output
    assert server.returncode == 0
