"""The ``neiqin`` command: run the demo, serve, run the job worker, and reach Django's commands.

    neiqin demo [--no-serve] [--host H] [--port P] [--seed N] [--scale S] [--workers W]
    neiqin serve [--host H] [--port P] [--workers W]
    neiqin worker [run_huey options]
    neiqin manage <django command> …
    neiqin createuser …  |  neiqin bench …
    neiqin --version

Settings come from the environment (see neiqin/settings.py); NEIQIN_HOME is the data folder.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DEFAULT_SETTINGS = "neiqin.settings"
# Commands handed over to Django untouched: neiqin <name> … == manage.py <django command> …
PASSTHROUGH = {"manage": None, "createuser": "createuser", "bench": "bench", "worker": "run_huey"}
# The keys of neiqin.demo.context.SCALES (not imported: the CLI starts without loading Django).
DEMO_SCALES = ("tiny", "small", "medium", "large")
# gunicorn's worker heartbeat files: in memory, not on a disk that may stall (gunicorn docs, "Blocking OS calls").
SHARED_MEMORY = "/dev/shm"  # noqa: S108 - a fixed system path, not a temporary file name
# gunicorn settings that older releases lack; skipped there instead of refused.
OPTIONAL_SETTINGS = {"control_socket_disable"}


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed_version

    try:
        return installed_version("neiqin")
    except PackageNotFoundError:  # running from a checkout that was not pip-installed
        import tomllib

        pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
        if pyproject.exists():
            return tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"]
        return "unknown"


def default_workers() -> int:
    return min(2 * (os.cpu_count() or 1) + 1, 4)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="neiqin", description="Neiqin 内勤 — the sales back-office desk.", allow_abbrev=False
    )
    parser.add_argument("--version", action="version", version=f"neiqin {version()}")
    commands = parser.add_subparsers(dest="command", metavar="<command>")

    demo = commands.add_parser("demo", help="set up the demo company and serve it", allow_abbrev=False)
    _server_arguments(demo, workers=2)
    demo.add_argument("--no-serve", action="store_true", help="prepare the data, print the logins, do not serve")
    demo.add_argument("--seed", type=int, default=7, help="same seed, same demo company (default 7)")
    demo.add_argument("--scale", choices=DEMO_SCALES, default="small", help="number of customers (default small)")

    serve = commands.add_parser("serve", help="run the web server (gunicorn)", allow_abbrev=False)
    _server_arguments(serve, workers=None)

    commands.add_parser("worker", help="run the background job worker with periodic tasks (huey)", add_help=False)
    commands.add_parser("manage", help="run a Django management command: neiqin manage migrate", add_help=False)
    commands.add_parser("createuser", help="create a login with roles", add_help=False)
    commands.add_parser("bench", help="run the benchmark", add_help=False)
    return parser


def _server_arguments(parser: argparse.ArgumentParser, *, workers: int | None) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument(
        "--workers",
        type=int,
        default=workers,
        help=f"worker processes (default {workers or f'min(2 × cores + 1, 4) = {default_workers()}'})",
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS)
    if args and args[0] in PASSTHROUGH:
        return passthrough(args[0], args[1:])
    parser = build_parser()
    options = parser.parse_args(args)
    if options.command == "serve":
        serve(host=options.host, port=options.port, workers=options.workers or default_workers())
    elif options.command == "demo":
        return demo(options)
    else:
        parser.print_help()
    return 0


def passthrough(command: str, args: list[str]) -> int:
    from django.core.management import execute_from_command_line

    django_command = PASSTHROUGH[command]
    if command == "worker":
        # run_huey adds a console handler to the "huey" logger unless it has one, and Django's
        # LOGGING already prints through the root logger: without this every line shows twice.
        logging.getLogger("huey").addHandler(logging.NullHandler())
    if django_command is None:
        execute_from_command_line(["neiqin manage", *args])
    else:
        execute_from_command_line(["neiqin", django_command, *args])
    return 0


# ---- serve --------------------------------------------------------------------------------------


def server_options(*, host: str, port: int, workers: int) -> dict[str, Any]:
    """gunicorn settings: sync workers, no preloading (each worker opens its own database
    connections), access log to stdout, heartbeat files in memory when /dev/shm exists."""
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    options: dict[str, Any] = {
        "bind": [bind],
        "workers": workers,
        "worker_class": "sync",
        "timeout": 60,
        "graceful_timeout": 30,
        "keepalive": 5,
        "max_requests": 2000,
        "max_requests_jitter": 200,
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": "info",
        "preload_app": False,
        "proc_name": "neiqin",
        # gunicorn >= 25 opens a control socket at one fixed path per user ($HOME/.gunicorn/),
        # which a second server (a test, the demo beside production) would take over; unused here.
        "control_socket_disable": True,
    }
    if os.path.isdir(SHARED_MEMORY):
        options["worker_tmp_dir"] = SHARED_MEMORY
    return options


def serve(*, host: str, port: int, workers: int) -> None:
    from gunicorn.app.base import BaseApplication

    class NeiqinServer(BaseApplication):
        def __init__(self, options: dict[str, Any]):
            self.options = options
            super().__init__()

        def load_config(self) -> None:
            for key, value in self.options.items():
                if key in OPTIONAL_SETTINGS and key not in self.cfg.settings:
                    continue  # an older gunicorn without this feature
                self.cfg.set(key, value)

        def load(self):
            from neiqin.wsgi import application

            return application

    NeiqinServer(server_options(host=host, port=port, workers=workers)).run()


# ---- demo ---------------------------------------------------------------------------------------


def demo(options: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    from neiqin.accounts.models import User

    say(f"[neiqin] 数据目录：{settings.NEIQIN_HOME}")
    say("[neiqin] 更新数据库结构 …")
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("seed_calendar", verbosity=0)
    if User.objects.exists():
        say("[neiqin] 数据库中已有用户，沿用现有数据（不重新生成演示数据）")
    else:
        say(f"[neiqin] 生成演示公司（seed {options.seed}，规模 {options.scale}）…")
        call_command("build_demo", seed=options.seed, scale=options.scale, verbosity=1)
    say(login_table(host=options.host, port=options.port))
    connections.close_all()  # never share a database connection with the forked workers
    if not options.no_serve:
        say("[neiqin] 启动服务（按 Ctrl+C 停止）…")
        serve(host=options.host, port=options.port, workers=options.workers)
    return 0


def login_table(*, host: str, port: int) -> str:
    from neiqin.accounts.models import User
    from neiqin.accounts.roles import Role
    from neiqin.accounts.scoping import roles
    from neiqin.demo.organisation import DEMO_PASSWORD, FEATURED_LOGINS, USERS

    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - display only
    url = f"http://[{shown_host}]:{port}/" if ":" in shown_host else f"http://{shown_host}:{port}/"
    header = f"  {_pad('登录名', 12)}{_pad('角色', 12)}{_pad('姓名', 8)}团队"
    lines = [f"打开 {url}    演示账号（密码均为 {DEMO_PASSWORD}）：", header]
    users = {u.username: u for u in User.objects.filter(username__in=FEATURED_LOGINS).select_related("team")}
    for username in FEATURED_LOGINS:
        user = users.get(username)
        if user is None:
            continue
        labels = "、".join(str(Role(code).label) for code in sorted(roles(user)))
        row = f"  {username:<12}{_pad(labels, 12)}{_pad(user.display_name, 8)}{user.team or ''}"
        lines.append(row.rstrip())
    others = [u.username for u in USERS if u.username not in FEATURED_LOGINS]
    lines.append(f"  其他账号：{'、'.join(others)}（同一密码）")
    return "\n".join(lines)


def _pad(text: str, width: int) -> str:
    """Pad to a display width where a Chinese character takes two columns."""
    used = sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
    return text + " " * max(1, width - used)


def say(text: str) -> None:
    print(text, flush=True)


if __name__ == "__main__":
    sys.exit(main())
