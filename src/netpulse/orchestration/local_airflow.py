"""A local Airflow 3 for this project: ``make airflow`` / ``make airflow-stop``.

Starts ``airflow standalone`` (API server, scheduler, DAG processor, triggerer) on loopback in
its own process group, with this checkout's DAGs, the warehouse pool and the ``NETPULSE_*``
settings of the calling shell made absolute (the scheduler's processes start elsewhere). The
group id goes to a pid file, so stopping ends exactly what was started. The ingest, build and
quarterly extract DAGs are unpaused: a file landing is loaded, built and published, and its
network's extracts and funders' pack are written again, without touching the UI.

    python -m netpulse.orchestration.local_airflow start [--home DIR] [--port N]
    python -m netpulse.orchestration.local_airflow stop [--home DIR]

Linux only (it reads /proc to see what is left of the group).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from netpulse.config.settings import Settings, project_path
from netpulse.orchestration.tasks import WAREHOUSE_POOL

DEFAULT_HOME = Path("var/airflow-local")
DEFAULT_PORT = 8780  # not 8080 (often taken); the log servers take the next two ports
PID_FILE = "netpulse-standalone.pid"
PASSWORD_FILE = "simple_auth_manager_passwords.json.generated"  # noqa: S105 - a file name, no password
UNPAUSED_DAGS = ("netpulse_ingest", "netpulse_build", "netpulse_quarterly_extract", "netpulse_pull")
# The NETPULSE_* paths a worker needs, made absolute for processes that start elsewhere.
PATH_SETTINGS = {"NETPULSE_HOME": "home", "NETPULSE_LANDING": "landing", "NETPULSE_WAREHOUSE": "warehouse",
                 "NETPULSE_EXTRACTS": "extracts", "NETPULSE_DATA_DOCS": "data_docs",
                 "NETPULSE_CONFIG": "network_config", "NETPULSE_PULL_STATE": "pull_state_dir"}


@dataclass(frozen=True)
class LocalAirflow:
    home: Path
    port: int
    pgid: int
    password: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def airflow_environment(home: Path, port: int) -> dict[str, str]:
    """The environment of every Airflow process: where its home, DAGs and our data are."""
    env = dict(os.environ)
    settings = Settings.from_env()
    for variable, field in PATH_SETTINGS.items():
        value = getattr(settings, field)
        if value is not None:
            env[variable] = str(Path(value).resolve())
    env.update({
        "AIRFLOW_HOME": str(home.resolve()),
        "AIRFLOW__CORE__DAGS_FOLDER": str(project_path("dags")),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        # Tasks report to the API server here; the default assumes port 8080.
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        # Log servers for task and trigger logs; they listen on every interface whatever the
        # API host, so keep them beside the API port rather than on the shared defaults.
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(port + 1),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(port + 2),
        # standalone starts its parts as `airflow ...` through PATH: this venv's first.
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
    })
    # The executor starts this many worker processes at once (Airflow's default, 32, is a lot
    # for a laptop); warehouse writers take turns through the pool anyway.
    env.setdefault("AIRFLOW__CORE__PARALLELISM", "4")
    return env


def start(home: Path = DEFAULT_HOME, port: int = DEFAULT_PORT, *, timeout: float = 180,
          unpause: tuple[str, ...] = UNPAUSED_DAGS) -> LocalAirflow:
    """Start standalone Airflow in its own process group; return once the DAGs are unpaused."""
    if not Settings.from_env().hash_key:
        raise RuntimeError("neither NETPULSE_HASH_KEY_FILE nor NETPULSE_HASH_KEY is set: the workers "
                           "pseudonymise members with the key; point NETPULSE_HASH_KEY_FILE at a file "
                           "readable by you only (docs/security.md) before make airflow")
    home.mkdir(parents=True, exist_ok=True)
    running = _recorded_group(home)
    if running is not None and group_members(running):
        raise RuntimeError(f"Airflow from {home} is already running (process group {running}); "
                           "stop it first: make airflow-stop")
    env = airflow_environment(home, port)
    airflow = str(Path(sys.executable).parent / "airflow")
    # standalone migrates the metadata database itself; the pool is set through the API once it
    # answers (DAGs are created paused, so nothing runs before the pool exists).
    with (home / "standalone.log").open("ab") as log_file:
        process = subprocess.Popen([airflow, "standalone"], env=env, stdout=log_file, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True, cwd=str(home.resolve()))
    (home / PID_FILE).write_text(json.dumps({"pgid": process.pid, "port": port}), encoding="utf-8")
    deadline = time.monotonic() + timeout
    try:
        _wait_for_health(port, deadline, process)
        password = _wait_for_password(home, deadline)
        instance = LocalAirflow(home=home, port=port, pgid=process.pid, password=password)
        token = api_token(instance)
        _set_pool(instance, token)
        for dag_id in unpause:
            _unpause(instance, token, dag_id, deadline)
    except BaseException:
        stop(home)
        raise
    return instance


def stop(home: Path = DEFAULT_HOME, *, timeout: float = 30) -> list[int]:
    """Stop the process group started from ``home``; return the pids still alive (none, normally)."""
    pgid = _recorded_group(home)
    if pgid is None:
        return []
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10)):
        if not group_members(pgid):
            break
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        while group_members(pgid) and time.monotonic() < deadline:
            time.sleep(0.5)
    left = group_members(pgid)
    if not left:
        (home / PID_FILE).unlink(missing_ok=True)
    return left


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group, from /proc."""
    members = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (command) "
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def api_token(instance: LocalAirflow) -> str:
    answer = _request(f"{instance.url}/auth/token", {"username": "admin", "password": instance.password})
    return answer["access_token"]


def api_get(instance: LocalAirflow, token: str, path: str) -> dict:
    return _request(f"{instance.url}{path}", token=token)


def api_post(instance: LocalAirflow, token: str, path: str, body: dict) -> dict:
    return _request(f"{instance.url}{path}", body, token=token)


def _set_pool(instance: LocalAirflow, token: str) -> None:
    pool = {"name": WAREHOUSE_POOL, "slots": 1, "include_deferred": False,
            "description": "DuckDB allows one writing process: tasks that write the warehouse take turns"}
    try:
        _request(f"{instance.url}/api/v2/pools", pool, token=token)
    except urllib.error.HTTPError as exc:
        if exc.code != 409:  # 409: it exists already (a home used before)
            raise
        _request(f"{instance.url}/api/v2/pools/{WAREHOUSE_POOL}", pool, token=token, method="PATCH")


def _unpause(instance: LocalAirflow, token: str, dag_id: str, deadline: float) -> None:
    while True:  # the DAG processor may not have parsed the file yet
        try:
            _request(f"{instance.url}/api/v2/dags/{dag_id}", {"is_paused": False}, token=token, method="PATCH")
            return
        except urllib.error.HTTPError as exc:
            if exc.code != 404 or time.monotonic() > deadline:
                raise
        time.sleep(1)


def _request(url: str, body: dict | None = None, *, token: str | None = None, method: str | None = None) -> dict:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers, method=method or ("POST" if data else "GET"))  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback only
        return json.loads(response.read() or b"{}")


def _wait_for_health(port: int, deadline: float, process: subprocess.Popen) -> None:
    parts = ("metadatabase", "scheduler", "triggerer", "dag_processor")
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"airflow standalone exited with {process.returncode}; see standalone.log")
        try:
            health = _request(f"http://127.0.0.1:{port}/api/v2/monitor/health")
            states = {part: (health.get(part) or {}).get("status") for part in parts}
            if all(state == "healthy" for state in states.values()):
                return
            last = str(states)
        except (OSError, ValueError) as exc:
            last = str(exc)
        time.sleep(1)
    raise TimeoutError(f"Airflow on port {port} not healthy in time ({last})")


def _wait_for_password(home: Path, deadline: float) -> str:
    path = home / PASSWORD_FILE
    while time.monotonic() < deadline:
        if path.exists():
            try:
                return json.loads(path.read_text(encoding="utf-8"))["admin"]
            except (ValueError, KeyError):
                pass  # being written
        time.sleep(0.5)
    raise TimeoutError(f"{path} did not appear")


def _recorded_group(home: Path) -> int | None:
    path = home / PID_FILE
    if not path.exists():
        return None
    return int(json.loads(path.read_text(encoding="utf-8"))["pgid"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m netpulse.orchestration.local_airflow")
    parser.add_argument("action", choices=("start", "stop"))
    parser.add_argument("--home", type=Path, default=DEFAULT_HOME, help="AIRFLOW_HOME (default %(default)s)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="API server port (default %(default)s)")
    args = parser.parse_args(argv)
    if args.action == "stop":
        left = stop(args.home)
        print(f"still running: {left}" if left else f"Airflow from {args.home} stopped")
        return 1 if left else 0
    try:
        instance = start(args.home, args.port)
    except (RuntimeError, TimeoutError, subprocess.CalledProcessError) as exc:
        print(f"could not start Airflow: {exc}", file=sys.stderr)
        return 1
    settings = Settings.from_env()
    print(f"Airflow is up: {instance.url} (login admin / {instance.password}, "
          f"from {instance.home / PASSWORD_FILE})")
    print(f"watching the landing zone {Path(settings.landing).resolve()}; "
          f"warehouse {Path(settings.warehouse).resolve()}")
    print(f"unpaused: {', '.join(UNPAUSED_DAGS)}; log: {instance.home / 'standalone.log'}; stop: make airflow-stop")
    return 0


if __name__ == "__main__":
    sys.exit(main())
