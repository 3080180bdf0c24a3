"""kdumpwiz disable: every kdumpwiz edit undone, newest apply first, then the kdump service stopped and off.

Each test compares real trees before and after (tree_hash), so a file left behind, a
wrong restore order or a write before a refusal fails it.
"""

from __future__ import annotations

import json

import pytest

from kdumpwiz.cli import main
from kdumpwiz.engine.answers import load_answers_text
from kdumpwiz.engine.apply import apply_plan, list_applies
from kdumpwiz.engine.detect import detect
from kdumpwiz.engine.disable import disable, plan_disable
from kdumpwiz.engine.errors import ApplyError
from kdumpwiz.engine.plan import build_plan
from tests.conftest import tree_hash

#: One of each family, with the files each one's apply edits (grub.d, BLS + kdump.conf, sysconfig).
FAMILIES = ("debian12-amd64", "rhel9-x86_64", "opensuse-leap156-x86_64")


def _apply(host, text: str):
    return apply_plan(host, build_plan(host, detect(host), load_answers_text(text)))


def _without_units(tree):
    # Beyond kdumpwiz's own files disable changes the service: its enable link, and (stopped) the
    # running kernel's kexec_crash_loaded, which the fixtures' recorded systemctl sets to 0.
    return {p: v for p, v in tree.items() if ".wants/" not in p and not p.startswith("sys/")}


@pytest.mark.parametrize("name", FAMILIES)
def test_two_applies_are_undone_newest_first_and_the_service_is_stopped(make_system, name):
    host = make_system(name)
    before = tree_hash(host.root)
    _apply(host, "crashkernel: 384M\n")
    _apply(host, "crashkernel: 448M\ndump_level: 1\n")
    preview = plan_disable(host, detect(host))
    assert len(preview.applies) == 2 and preview.applies[0] > preview.applies[1]  # newest first
    assert preview.restores and all(r.diff.startswith("--- a/") for r in preview.restores)
    unit = detect(host).service.unit
    assert preview.commands == (("systemctl", "disable", "--now", unit),)
    calls_before = len(host.runner.calls)
    result = disable(host, detect(host))
    assert result.rolled_back == list(preview.applies)
    assert _without_units(tree_hash(host.root)) == _without_units(before)
    assert host.runner.calls[-1][2:] == ("systemctl", "disable", "--now", unit)
    assert len(host.runner.calls) > calls_before
    assert [r.status for r in list_applies(host)] == ["rolled_back", "rolled_back"]
    facts = detect(host)
    assert not facts.service.enabled and not facts.kexec.crash_loaded
    assert plan_disable(host, facts).is_empty  # a second disable has nothing to do


def test_a_file_changed_since_is_refused_before_anything_is_written(make_system):
    host = make_system("debian12-amd64")
    _apply(host, "crashkernel: 384M\n")
    dropin = host.path("/etc/default/grub.d/zz-kdumpwiz.cfg")
    dropin.write_text(dropin.read_text() + "# the admin's line\n")
    changed = tree_hash(host.root, exclude=())
    with pytest.raises(ApplyError, match="zz-kdumpwiz.cfg was changed after apply"):
        disable(host, detect(host))
    assert tree_hash(host.root, exclude=()) == changed  # not even kdumpwiz's state moved
    disable(host, detect(host), force=True)
    assert not host.lexists("/etc/default/grub.d/zz-kdumpwiz.cfg")


def test_a_change_between_two_applies_is_caught_too(make_system):
    """The preview walks the applies as the rollbacks will: the older apply's file no longer holds what it
    wrote, so the second rollback would refuse half-way; the disable refuses before the first."""
    host = make_system("debian12-amd64")
    first = _apply(host, "crashkernel: 384M\n")
    dropin = host.path("/etc/default/grub.d/zz-kdumpwiz.cfg")
    dropin.write_text(dropin.read_text() + "# edited by hand\n")
    _apply(host, "crashkernel: 448M\n")  # rewrites the drop-in, edit included, as it found it
    changed = tree_hash(host.root, exclude=())
    with pytest.raises(ApplyError, match=f"zz-kdumpwiz.cfg was changed after apply {first.id}"):
        plan_disable(host, detect(host))
    with pytest.raises(ApplyError):
        disable(host, detect(host))
    assert tree_hash(host.root, exclude=()) == changed


def test_what_the_distribution_reserves_stays_and_is_said(make_system):
    """Debian 12's kdump-tools puts its own crashkernel= in grub.d: kdumpwiz leaves it and says how much."""
    host = make_system("debian12-amd64")
    _apply(host, "crashkernel: 384M\n")
    notes = " ".join(plan_disable(host, detect(host)).notes)
    assert "which was there before kdumpwiz" in notes and "stay reserved at every boot" in notes


def test_the_cli_shows_the_diffs_asks_and_reports(make_system, capsys):
    host = make_system("debian12-amd64")
    before = tree_hash(host.root)
    _apply(host, "crashkernel: 384M\n")
    root = str(host.root)
    code = main(["--root", root, "disable"])  # no terminal: not confirmed
    out, err = capsys.readouterr()
    assert code == 2 and "not confirmed" in err and "--- remove /etc/default/grub.d/zz-kdumpwiz.cfg" in out
    assert "+++ /dev/null" in out
    code = main(["--root", root, "disable", "--yes", "--skip-commands", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and len(data["result"]["rolled_back"]) == 1
    assert data["result"]["commands_skipped"] == [["systemctl", "disable", "--now", "kdump-tools.service"]]
    assert _without_units(tree_hash(host.root)) == _without_units(before)
