"""The JSON documents of detect, plan, apply and verify (and errors) match docs/schemas, version 1.

Fleets parse these without reading the code (issue 12 §3): each test runs the real
command line on real fixture trees and validates what it printed. The schemas close
their objects (additionalProperties: false) where a new key would be a contract
change, so a key added without documenting it fails here.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from kdumpwiz.cli import SCHEMA, main
from tests.fixtures import systems

SCHEMAS = Path(__file__).resolve().parent.parent / "docs" / "schemas"
ALL = sorted(systems.SYSTEMS)


def schema(name: str) -> dict:
    doc = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(doc)
    return doc


def run_json(capsys, *argv: str):
    code = main(list(argv))
    out = capsys.readouterr().out
    return code, json.loads(out)


def _tree(tmp_path, name):
    root = tmp_path / name
    root.mkdir()
    systems.build(name, root)
    return str(root)


@pytest.mark.parametrize("name", ALL)
def test_detect_and_verify_documents(tmp_path, capsys, name):
    root = _tree(tmp_path, name)
    code, doc = run_json(capsys, "--root", root, "detect", "--json")
    assert doc["schema"] == SCHEMA == 1
    jsonschema.validate(doc, schema("detect"))
    assert code == (6 if doc["blockers"] else 0)
    code, doc = run_json(capsys, "--root", root, "verify", "--json")
    jsonschema.validate(doc, schema("error" if code == 2 else "verify"))


@pytest.mark.parametrize("name", [n for n in ALL if not systems.SYSTEMS[n].blockers])
def test_plan_apply_and_unchanged_documents(tmp_path, capsys, name):
    root = _tree(tmp_path, name)
    code, doc = run_json(capsys, "--root", root, "plan", "--json")
    if code != 0:  # the family refuses this machine: the error document
        jsonschema.validate(doc, schema("error"))
        return
    jsonschema.validate(doc, schema("plan"))
    code, doc = run_json(capsys, "--root", root, "apply", "--yes", "--skip-commands", "--json")
    assert code == 0
    jsonschema.validate(doc, schema("apply"))
    code, doc = run_json(capsys, "--root", root, "apply", "--yes", "--skip-commands", "--json")
    jsonschema.validate(doc, schema("apply"))
    assert doc["status"] == "unchanged"


def test_an_error_is_a_document_too(tmp_path, capsys):
    root = _tree(tmp_path, "container")
    code, doc = run_json(capsys, "--root", root, "plan", "--json")
    assert code == 6
    jsonschema.validate(doc, schema("error"))
    assert doc["kind"] == "BlockedError" and doc["exit_code"] == 6


def test_the_schemas_reject_what_they_do_not_document(tmp_path, capsys):
    """A document with an undocumented key, a missing one, or another version is refused."""
    root = _tree(tmp_path, "debian12-amd64")
    _, doc = run_json(capsys, "--root", root, "detect", "--json")
    for broken in ({**doc, "surprise": 1}, {k: v for k, v in doc.items() if k != "boot"}, {**doc, "schema": 2},
                   {**doc, "memory": {**doc["memory"], "rounded_bytes": "16G"}}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, schema("detect"))


def test_every_property_is_described():
    def walk(node, where):
        if isinstance(node, dict):
            for key, sub in (node.get("properties") or {}).items():
                assert isinstance(sub, dict) and (sub.get("description") or sub.get("const") or sub.get("enum")), \
                    f"{where}.{key} has no description"
                walk(sub, f"{where}.{key}")
            for key in ("items", "oneOf"):
                if key in node:
                    for i, sub in enumerate(node[key] if isinstance(node[key], list) else [node[key]]):
                        walk(sub, f"{where}.{key}[{i}]")

    for name in ("detect", "plan", "apply", "verify", "error"):
        walk(schema(name), name)
