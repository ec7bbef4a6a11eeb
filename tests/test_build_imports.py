"""A run with nothing new should start fast: planning a build must not import the graph code.

netpulse.measures.graph brings scipy (about a third of a second of CPU), which only computing
graph measures needs. Checked in a fresh interpreter, since this test process has imported
everything already.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PLAN_A_BUILD = """
import sys
from netpulse.build.network_builds import definitions_fingerprint
from netpulse.build.run import build
from netpulse.config.key_features import load_key_features
from netpulse.measures.stages import current_rules, load_rule_sets
from netpulse.measures.warning_signs import load_warning_signs

rule_sets = load_rule_sets()
fingerprint = definitions_fingerprint(rule_sets, current_rules(rule_sets), load_key_features(), load_warning_signs())
assert len(fingerprint) == 16, fingerprint
print(sorted(name for name in sys.modules if name.split(".")[0] == "scipy" or name == "netpulse.measures.graph"))
"""


def test_planning_a_build_imports_no_graph_code():
    done = subprocess.run([sys.executable, "-c", PLAN_A_BUILD], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_fingerprint_still_reads_the_graph_code(tmp_path, monkeypatch):
    """Found without being imported, the graph module's source is still part of the definitions."""
    import importlib.util

    from netpulse.build import network_builds
    from netpulse.config.key_features import load_key_features
    from netpulse.measures.stages import current_rules, load_rule_sets
    from netpulse.measures.warning_signs import load_warning_signs

    rule_sets = load_rule_sets()
    args = (rule_sets, current_rules(rule_sets), load_key_features(), load_warning_signs())
    before = network_builds.definitions_fingerprint(*args)
    changed = tmp_path / "graph.py"
    source = Path(importlib.util.find_spec("netpulse.measures.graph").origin).read_bytes()
    changed.write_bytes(source + b"\n# changed\n")
    real_find_spec = importlib.util.find_spec

    def find_spec(name, *rest):
        spec = real_find_spec(name, *rest)
        if name == "netpulse.measures.graph":
            spec = importlib.util.spec_from_file_location(name, changed)
        return spec

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    assert network_builds.definitions_fingerprint(*args) != before


def test_an_instrument_added_to_the_configuration_folder_changes_the_definitions(tmp_path, monkeypatch):
    """A new instrument gives survey evidence to networks already built: they must be rebuilt."""
    from netpulse.build import network_builds
    from netpulse.config.key_features import load_key_features
    from netpulse.config.settings import project_path
    from netpulse.measures.stages import current_rules, load_rule_sets
    from netpulse.measures.warning_signs import load_warning_signs

    rule_sets = load_rule_sets()
    args = (rule_sets, current_rules(rule_sets), load_key_features(), load_warning_signs())
    before = network_builds.definitions_fingerprint(*args)
    mine = tmp_path / "config"
    (mine / "instruments").mkdir(parents=True)
    shipped = project_path("config", "instruments", "netpulse-core-v1.yaml").read_text(encoding="utf-8")
    (mine / "instruments" / "network-diagnostic.yaml").write_text(shipped, encoding="utf-8")
    monkeypatch.setenv("NETPULSE_CONFIG_DIR", str(mine))
    assert network_builds.definitions_fingerprint(*args) != before
