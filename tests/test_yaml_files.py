"""One reader for every configuration file, with one error format: ``<what> <path>: <problem>``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from netpulse.config.instruments import load_instrument
from netpulse.config.key_features import load_key_features
from netpulse.config.networks import load_networks
from netpulse.config.yaml_files import read_yaml
from netpulse.errors import ConfigError
from netpulse.measures.stage_overrides import load_overrides
from netpulse.measures.stages import load_stage_rules
from netpulse.measures.warning_signs import load_warning_signs
from netpulse.outputs.disclosure import load_suppression

SRC = Path(__file__).resolve().parents[1] / "src" / "netpulse"
LOADERS = {
    "network configuration": load_networks,
    "instrument file": load_instrument,
    "key features": load_key_features,
    "stage rules": load_stage_rules,
    "warning signs": load_warning_signs,
    "stage overrides": load_overrides,
}


@pytest.mark.parametrize("what", [*LOADERS, "suppression"])
def test_every_configuration_file_reports_bad_yaml_the_same_way_with_its_line(tmp_path, what):
    path = tmp_path / "file.yaml"
    path.write_text("version: 1\nrules: [unclosed\n", encoding="utf-8")
    load = load_suppression if what == "suppression" else LOADERS[what]
    with pytest.raises(ConfigError) as error:
        load(path)
    expected = "network configuration" if what == "suppression" else what
    assert re.fullmatch(rf"{expected} {re.escape(str(path))}: not valid YAML: line \d+, column \d+: .+",
                        str(error.value)), str(error.value)


@pytest.mark.parametrize("what", LOADERS)
def test_a_key_given_twice_is_refused_naming_both_lines(tmp_path, what):
    path = tmp_path / "file.yaml"
    path.write_text("version: a\nwindow: {month: 3}\nversion: b\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line 3, column 1: key 'version' is given twice \(first on line 1\)"):
        LOADERS[what](path)


def test_a_duplicate_suppression_section_is_not_silently_replaced(tmp_path):
    path = tmp_path / "networks.yaml"
    path.write_text("suppression: {min_count: 10}\nnetworks: []\nsuppression: {min_count: 1}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="key 'suppression' is given twice"):
        load_suppression(path)


def test_python_tags_missing_files_and_other_encodings_are_errors_not_tracebacks(tmp_path):
    tagged = tmp_path / "tagged.yaml"
    tagged.write_text("x: !!python/object/apply:os.system ['true']\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"tagged\.yaml: not valid YAML: line 1, column 4: .*python/object"):
        read_yaml(tagged, "stage rules")
    with pytest.raises(ConfigError, match=r"stage rules .*missing\.yaml: file not found"):
        read_yaml(tmp_path / "missing.yaml", "stage rules")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("name: Sant\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r"latin\.yaml: not UTF-8 text \(at byte offset 10\); save it as UTF-8"):
        read_yaml(latin, "network configuration")
    listed = tmp_path / "list.yaml"
    listed.write_text("- a\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="expected a mapping at the top level, found list"):
        read_yaml(listed, "key features")
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    assert read_yaml(empty, "stage overrides", expect=list, empty=[]) == []
    with pytest.raises(ConfigError, match="expected a mapping at the top level, found an empty file"):
        read_yaml(empty, "stage rules")


def test_no_module_reads_configuration_yaml_itself():
    readers = [f"{p.relative_to(SRC)}:{n}" for p in SRC.rglob("*.py") if p.name != "yaml_files.py"
               for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
               if re.search(r"\byaml\.(safe_load|load|full_load|unsafe_load)\(", line)]
    # The data dictionary is netpulse's own packaged file, not configuration, read with the C loader.
    assert [reader.split(":")[0] for reader in readers] == ["store/snapshot.py"], readers
