"""The code passes ruff (with the Airflow 3 rules for the DAG files), sqlfluff with the DuckDB dialect
over every SQL file, and mypy on src/: `make lint`'s checks, run by `make test` too (the layering check
is tests/test_layers.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SQL_FOLDERS = ("transforms", "warehouse")  # as in the Makefile


def _tool(name: str) -> str:
    return shutil.which(name, path=str(Path(sys.executable).parent)) or name


def test_ruff_finds_nothing():
    result = subprocess.run([_tool("ruff"), "check", "--output-format", "concise", str(REPO)],
                            capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr


def test_sqlfluff_finds_nothing_in_any_sql_file():
    result = subprocess.run([_tool("sqlfluff"), "lint", *SQL_FOLDERS], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing_in_src():
    # The configuration (pyproject.toml, [tool.mypy]) names src/; the interpreter is this one, whose
    # site-packages hold the libraries mypy reads the types of.
    result = subprocess.run([sys.executable, "-m", "mypy", "--python-executable", sys.executable],
                            capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
