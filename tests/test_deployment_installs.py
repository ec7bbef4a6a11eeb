"""Our pins resolve beside the Airflow providers that deployments install, on each supported Python.

For Python 3.11, 3.12 and 3.13, pip resolves netpulse's pinned dependencies (pyproject.toml), under
constraints.txt, together with the four providers; a dry run, so nothing is installed. This pip runs
for each interpreter through `pip --python`, so markers and wheel tags are that Python's own. The
interpreters are found with pyenv (as on CI and the developers' machines) or on PATH; a missing one
fails the test, saying which: the check never passes by skipping a Python.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.helpers import REPO

PYTHONS = ("3.11", "3.12", "3.13")
# The providers, each at least at the release seen resolving beside our pins (docs/decisions.md,
# "Installs beside the providers deployments add"). The floor keeps pip from passing by backtracking
# to an old release that a deployment would not get, and makes a conflict fail in seconds.
PROVIDERS = (
    "apache-airflow-providers-amazon>=9.39.0",
    "apache-airflow-providers-microsoft-azure>=15.2.1",
    "apache-airflow-providers-slack>=9.11.1",
    "apache-airflow-providers-celery>=3.26.0",
)
# A resolution takes about 15 s, a conflict about 20 s. Should pip still backtrack through old releases
# (without the floors, python-dateutil 4.0.0 beside the amazon provider ran for over ten minutes), it
# is stopped and reported.
TIMEOUT_SECONDS = 300


def _name(requirement: str) -> str:
    """A distribution's normalised name (PEP 503), from a name or a requirement."""
    return re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement).group()).lower()


def _pins() -> dict[str, str]:
    pins = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[_name(name)] = version.strip()
    return pins


def _interpreter(version: str) -> tuple[Path | None, str]:
    """The interpreter for ``version`` (this one, pyenv's newest of it, or python3.X on PATH), and
    where it was looked for."""
    if f"{sys.version_info.major}.{sys.version_info.minor}" == version:
        return Path(sys.executable), "this interpreter"
    pyenv = shutil.which("pyenv") or shutil.which(
        str(Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "bin" / "pyenv"))
    if pyenv:
        listed = subprocess.run([pyenv, "versions", "--bare"], capture_output=True, text=True).stdout.split()
        found = sorted((v for v in listed if re.fullmatch(rf"{re.escape(version)}\.\d+", v)),
                       key=lambda v: int(v.rsplit(".", 1)[1]))
        if found:
            prefix = subprocess.run([pyenv, "prefix", found[-1]], capture_output=True, text=True).stdout.strip()
            if prefix and (Path(prefix) / "bin" / "python").exists():
                return Path(prefix) / "bin" / "python", f"pyenv ({pyenv})"
    on_path = shutil.which(f"python{version}")
    if on_path:
        return Path(on_path), "PATH"
    return None, f"pyenv ({pyenv or 'not found'}) and python{version} on PATH"


def _error_tail(output: str, lines: int = 40) -> str:
    # This machine's pip configuration names index folders that do not all exist; pip says so for
    # every package it looks up. That is the machine's, not the resolution's.
    ours = [line for line in output.splitlines()
            if line.strip() and not (line.startswith("WARNING: Location 'file:") and "is ignored" in line)]
    return "\n".join(ours[-lines:])


@pytest.mark.parametrize("version", PYTHONS)
def test_our_pins_resolve_beside_the_deployment_providers(version, tmp_path):
    python, looked_in = _interpreter(version)
    if python is None:
        pytest.fail(f"no Python {version} found (looked in {looked_in}); this check needs every supported "
                    f"Python: `pyenv install {version}` or put python{version} on PATH")
    dependencies = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    report = tmp_path / "report.json"
    command = [sys.executable, "-m", "pip", "--python", str(python), "install", "--dry-run", "--ignore-installed",
               "--no-input", "--report", str(report), "-c", str(REPO / "constraints.txt"),
               *dependencies, *PROVIDERS]
    # The target interpreter is pyenv's own, not a virtual environment; a dry run installs nothing there.
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_REQUIRE_VIRTUALENV": "0"}
    try:
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path,
                                timeout=TIMEOUT_SECONDS, env=env)
    except subprocess.TimeoutExpired as stopped:
        output = stopped.output.decode(errors="replace") if isinstance(stopped.output, bytes) else stopped.output or ""
        pytest.fail(f"pip found no resolution for Python {version} within {TIMEOUT_SECONDS} s (backtracking: a "
                    f"pin in constraints.txt conflicts with a provider's requirements); pip's last lines:\n"
                    f"{_error_tail(output)}")
    assert result.returncode == 0, (f"pip cannot resolve our pins beside the providers on Python {version} "
                                    f"({python}):\n{_error_tail(result.stdout)}")

    resolved = json.loads(report.read_text())
    assert resolved["environment"]["python_version"] == version, resolved["environment"]
    versions = {_name(item["metadata"]["name"]): item["metadata"]["version"] for item in resolved["install"]}
    pins = _pins()
    for name in ("python-dateutil", "apache-airflow", "apache-airflow-core"):
        assert versions.get(name) == pins[name], (name, versions.get(name), pins[name])
    assert all(_name(p) in versions for p in PROVIDERS), sorted(n for n in versions if "providers" in n)
    # Every package we pin resolves at our pin (Airflow's own providers, standard and common-*, included).
    assert {n: v for n, v in versions.items() if n in pins and v != pins[n]} == {}
