"""The package's layers are true: no module imports one of a higher layer.

The order is the list in docs/architecture.md ("Layers"), which this test reads, so the document
cannot drift from what is enforced. Imports inside functions count too: a deferred import is still
a dependency.
"""

from __future__ import annotations

import ast
import re

from tests.helpers import REPO

PACKAGE = REPO / "src" / "netpulse"


def _layers() -> dict[str, int]:
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- layers -->(.*?)<!-- /layers -->", text, re.DOTALL).group(1)
    layers = {}
    for number, line in enumerate(block.strip().splitlines(), 1):
        for name in re.findall(r"`([a-z_]+)`", line):
            layers["__init__" if name == "netpulse" else name] = number
    return layers


def _unit(path) -> str:
    """The unit a module belongs to: its subpackage, or its own name at the top."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def _imports(path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else \
            [a.name for a in node.names] if isinstance(node, ast.Import) else []
        found += [(node.lineno, name) for name in names if name == "netpulse" or name.startswith("netpulse.")]
    return found


def test_every_unit_of_the_package_has_a_layer():
    layers = _layers()
    units = {_unit(p) for p in PACKAGE.rglob("*.py")}
    assert units - set(layers) == set()
    assert set(layers) - units == set()


def test_no_module_imports_a_module_of_its_own_or_a_higher_layer():
    layers = _layers()
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        unit = _unit(path)
        for line, name in _imports(path):
            target = name.split(".")[1] if "." in name else "__init__"
            if target != unit and layers[target] >= layers[unit]:
                wrong.append(f"{path.relative_to(REPO)}:{line} imports {name} "
                             f"(layer {layers[target]}, not below {unit}'s {layers[unit]})")
    assert wrong == []


def test_dag_files_only_wire_tasks_of_the_orchestration_layer():
    wrong = [f"{path.name}:{line} imports {name}" for path in sorted((REPO / "dags").glob("*.py"))
             for line, name in _imports(path) if not name.startswith("netpulse.orchestration")]
    assert wrong == []
