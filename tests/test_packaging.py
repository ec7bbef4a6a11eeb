"""The built wheel works outside the checkout, as an Airflow deployment installs it."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import duckdb
import pytest

from tests.helpers import ATTENDANCE_HEADER, FORUM_HEADER, REPO, TEST_KEY, attendance_row, write_csv

SHIPPED_FOLDERS = ("transforms", "expectations", "warehouse", "dags", "config")


def _folders(root: Path) -> set[Path]:
    """Folders under ``root`` holding files of the package (code or data), ``root`` included."""
    return {p.parent for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts
            and not p.parent.name.endswith(".egg-info")}


def test_every_package_and_data_folder_is_listed_for_the_wheel():
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    in_src = {".".join(p.relative_to(REPO / "src").parts) for p in _folders(REPO / "src" / "netpulse")}
    # Shipped folders whose names are identifiers (transforms' 1_staging... are not, and setuptools
    # takes them as data of their parent without a warning).
    shipped = {f"netpulse._shipped.{'.'.join(p.relative_to(REPO).parts)}" for f in SHIPPED_FOLDERS
               for p in _folders(REPO / f) if all(part.isidentifier() for part in p.relative_to(REPO).parts)}
    assert listed == in_src | shipped


def copy_of_checkout(folder: Path) -> Path:
    """The checkout without what is generated: setuptools writes build/ and *.egg-info beside
    the sources it builds, so it builds a copy. The _shipped links stay links."""
    source = folder / "netpulse"
    generated = shutil.ignore_patterns("*.duckdb", "*.duckdb.wal", "*.egg-info", "__pycache__")

    def ignore(folder, names):
        top = {".git", ".venv", "var", "build", ".pytest_cache", ".hypothesis", ".ruff_cache", ".mypy_cache"}
        return generated(folder, names) | (top & set(names) if Path(folder) == REPO else set())

    shutil.copytree(REPO, source, ignore=ignore, symlinks=True)
    return source


def test_the_shipped_folders_are_relative_links_inside_the_checkout():
    for folder in SHIPPED_FOLDERS:
        link = REPO / "src" / "netpulse" / "_shipped" / folder
        assert link.is_symlink() and not Path(os.readlink(link)).is_absolute(), link
        assert link.resolve() == REPO / folder


def test_an_editable_install_prints_no_warning(tmp_path):
    source = copy_of_checkout(tmp_path)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    result = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-deps", "-e",
                             str(source)], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # This machine's pip configuration names index folders that do not all exist; pip says so
    # for every package it looks up. That is the machine's, not the project's.
    ours = [line for line in (result.stdout + result.stderr).splitlines()
            if line.strip() and not (line.startswith("WARNING: Location 'file:") and "is ignored" in line)]
    assert ours == []


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    source = copy_of_checkout(tmp_path_factory.mktemp("source"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(out), str(source)],
                   check=True, cwd=out)
    (path,) = out.glob("netpulse-*.whl")
    return path


def test_the_wheel_carries_models_suites_ddl_dags_and_configuration(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in SHIPPED_FOLDERS:
        in_checkout = {p.relative_to(REPO).as_posix() for p in (REPO / folder).rglob("*")
                       if p.is_file() and p.suffix in (".sql", ".json", ".py", ".yaml")
                       and "__pycache__" not in p.parts}
        assert in_checkout, folder
        assert {f"netpulse/_shipped/{p}" for p in in_checkout} <= names, folder
    assert "netpulse/store/dictionary.yaml" in names


def test_the_installed_wheel_runs_a_landing_zone_from_another_folder(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    # The dependencies come from this interpreter's environment (a line in a .pth file adds its
    # site-packages without running the editable install's own .pth there); netpulse itself
    # comes only from the wheel.
    (purelib,) = list(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True).stdout.split())
    Path(purelib, "netpulse_test_dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--ignore-installed", str(wheel)],
                   check=True)

    work = tmp_path / "elsewhere"
    landing = work / "landing"
    for month in ("2026-01", "2026-02", "2026-03"):
        write_csv(landing, "net", "attendance", f"{month}.csv", ATTENDANCE_HEADER, [
            attendance_row(f"m{month}", f"{month}-10T10:00:00", f"{m}@x.example") for m in "abcdefgh"])
        write_csv(landing, "net", "forum", f"{month}.csv", FORUM_HEADER, [
            [f"t{month}", "", "", "a@x.example", "A", f"{month}-11T09:00:00", "topic"],
            [f"r{month}", f"t{month}", f"t{month}", "b@x.example", "B", f"{month}-11T10:00:00", "reply"]])
    # The deployment's own definitions live in its configuration folder, not in the package.
    mine = work / "config"
    mine.mkdir()
    (mine / "networks.yaml").write_text("networks:\n  - id: net\n    name: Our Network\n"
                                        "    timezone: Europe/London\n    quarter_start_month: 4\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NETPULSE_", "PYTHON"))}
    env.update(NETPULSE_HASH_KEY=TEST_KEY, NETPULSE_HOME=str(work / "var"), NETPULSE_CONFIG_DIR=str(mine))
    where = subprocess.run([str(python), "-c", "import netpulse; print(netpulse.__file__)"], cwd=work, env=env,
                           check=True, capture_output=True, text=True).stdout.strip()
    assert where.startswith(str(venv)), f"netpulse imported from {where}, not the wheel"

    run = subprocess.run([str(venv / "bin" / "netpulse"), "run", "--landing", str(landing),
                          "--warehouse", str(work / "wh.duckdb")], cwd=work, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "deliveries: 6 loaded" in run.stdout, run.stdout
    with duckdb.connect(str(work / "wh.snapshot.duckdb"), read_only=True) as con:
        counts = con.execute("select period_start, active_members, forum_posts from indicators.network_period "
                             "where grain = 'month' order by 1").fetchall()
        network = con.execute("select name, quarter_start_month from meta.networks").fetchall()
        quarters = con.execute("select period_start from indicators.network_period where grain = 'quarter'").fetchall()
    assert [(str(d), a, f) for d, a, f in counts] == [("2026-01-01", 8, 2), ("2026-02-01", 8, 2), ("2026-03-01", 8, 2)]
    assert network == [("Our Network", 4)]
    assert [str(d) for (d,) in quarters] == ["2026-01-01"], "financial-year quarters: January to March"
