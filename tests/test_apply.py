"""Apply, finish and rollback mechanics: backups, journal, lock, atomicity, refusals."""

from __future__ import annotations

import os
import stat

import pytest

from kdumpwiz.engine import apply as apply_mod
from kdumpwiz.engine.answers import Answers, Target
from kdumpwiz.engine.apply import StateDir, apply_plan, finish, interrupted, list_applies, rollback
from kdumpwiz.engine.detect import detect
from kdumpwiz.engine.errors import ApplyError, EditError, LockedError
from kdumpwiz.engine.host import Host
from kdumpwiz.engine.plan import build_plan
from tests.conftest import tree_hash


def _plan(host, answers=None):
    return build_plan(host, detect(host), answers or Answers())


def test_state_is_private_and_journal_complete(make_system):
    host = make_system("ubuntu2204-amd64")
    plan = _plan(host)
    result = apply_plan(host, plan)
    state = host.path("/var/lib/kdumpwiz")
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o700
    adir = state / "applies" / result.id
    for p in adir.rglob("*"):
        if p.is_file():
            assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    rec = StateDir(host).load(result.id)
    assert rec.status == "applied"
    assert sorted(rec.done_files) == list(range(len(plan.files)))
    assert StateDir(host).pending()["crashkernel"] == plan.crashkernel


def test_mode_and_owner_are_kept(make_system):
    host = make_system("debian12-amd64")
    target = host.path("/etc/default/kdump-tools")
    os.chmod(target, 0o640)
    os.chown(target, 0, 4)
    plan = _plan(host, Answers(target=Target(path="/srv/crash")))
    assert any(f.path == "/etc/default/kdump-tools" for f in plan.files)
    apply_plan(host, plan)
    st = os.stat(target)
    assert stat.S_IMODE(st.st_mode) == 0o640 and st.st_gid == 4
    assert 'KDUMP_COREDIR="/srv/crash"' in target.read_text()


def test_second_apply_is_refused_while_locked(make_system):
    host = make_system("fedora41-x86_64")
    plan = _plan(host)
    with StateDir(host).lock():
        with pytest.raises(LockedError, match=f"pid {os.getpid()}"):
            apply_plan(host, plan)
    assert not list_applies(host)


def test_stale_lock_file_does_not_block(make_system):
    host = make_system("fedora41-x86_64")
    StateDir(host).ensure()
    host.path("/var/lib/kdumpwiz/lock").write_text("999999\n")  # a dead process's pid, no flock held
    assert apply_plan(host, _plan(host)).status == "applied"


def test_file_changed_after_plan_is_refused(make_system):
    host = make_system("rhel9-x86_64")
    before = tree_hash(host.root)
    plan = _plan(host, Answers(crashkernel="512M"))
    path = plan.files[0].path
    with open(host.path(path), "a") as fh:
        fh.write("# edited meanwhile\n")
    before = tree_hash(host.root)
    with pytest.raises(ApplyError, match="changed since the plan"):
        apply_plan(host, plan)
    assert tree_hash(host.root) == before


def test_failing_command_reports_and_rollback_restores(make_system):
    host = make_system("ubuntu2404-cloud")
    before = tree_hash(host.root)
    host.runner.respond(["update-grub"], 1, "", "/etc/default/grub.d/zz-kdumpwiz.cfg: 3: syntax error\n")
    plan = _plan(host)
    with pytest.raises(ApplyError) as err:
        apply_plan(host, plan)
    assert "update-grub" in str(err.value) and "syntax error" in str(err.value)
    rec = list_applies(host)[-1]
    assert rec.status == "failed" and rec.failed_command["argv"] == ["update-grub"]
    host.runner.responses.clear()
    rollback(host)
    assert tree_hash(host.root) == before


def test_skip_commands_lists_them(make_system):
    host = make_system("opensuse-leap156-x86_64")
    plan = _plan(host)
    result = apply_plan(host, plan, skip_commands=True)
    assert result.commands_skipped == [list(c.argv) for c in plan.commands]
    assert host.runner.calls == []


def test_interrupted_apply_is_detected_finished_and_rolled_back(make_system):
    host = make_system("debian12-amd64")
    before = tree_hash(host.root)
    plan = _plan(host, Answers(crashkernel="256M"))

    def boom(argv):
        raise KeyboardInterrupt("link dropped")

    host.runner.effects[("update-grub",)] = boom
    with pytest.raises(KeyboardInterrupt):
        apply_plan(host, plan)
    rec = interrupted(host)
    assert rec is not None and rec.status == "interrupted"
    # A new apply refuses until the interrupted one is dealt with.
    with pytest.raises(ApplyError, match="interrupted"):
        apply_plan(host, _plan(host, Answers(crashkernel="256M")))
    del host.runner.effects[("update-grub",)]
    done = finish(host)
    assert done.status == "applied" and interrupted(host) is None
    assert detect(host).boot.configured_crashkernel == "256M"
    rollback(host)
    assert tree_hash(host.root) == before


def test_rollback_refuses_when_file_changed_after_apply(make_system):
    host = make_system("amazon2023-x86_64")
    plan = _plan(host)
    apply_plan(host, plan)
    path = plan.files[0].path
    with open(host.path(path), "a") as fh:
        fh.write("# admin edit\n")
    with pytest.raises(ApplyError, match="changed after apply"):
        rollback(host)
    rollback(host, force=True)
    assert "# admin edit" not in host.read_text(path)


def test_rollback_without_apply_says_so(make_system):
    host = make_system("fedora41-x86_64")
    with pytest.raises(ApplyError, match="no apply to roll back"):
        rollback(host)


def test_symlinked_config_is_refused(make_system):
    host = make_system("debian12-amd64")
    real = host.path("/etc/default/kdump-tools")
    os.rename(real, host.path("/etc/default/kdump-tools.real"))
    os.symlink("kdump-tools.real", real)
    with pytest.raises(EditError, match="symbolic link"):
        _plan(host, Answers(target=Target(path="/srv/crash")))


def test_not_root_on_live_system_is_refused(monkeypatch):
    monkeypatch.setattr(apply_mod.os, "geteuid", lambda: 1000)
    with pytest.raises(ApplyError, match="must run as root"):
        # The check itself (conftest wraps it so that no test gets past it on '/'); it only looks.
        apply_mod._check_root.__wrapped__(Host("/"))  # type: ignore[attr-defined]


# -- a rollback undoes only what the apply did (issue 9, items 10 and 11) ---------------


def test_rollback_after_skip_commands_runs_no_undo_of_a_command_never_run(make_system):
    """apply --skip-commands never ran 'systemctl enable', so rollback must not 'systemctl disable'."""
    host = make_system("fedora41-x86_64")
    before = tree_hash(host.root)
    plan = _plan(host)
    assert ("systemctl", "enable", "kdump.service") in [c.argv for c in plan.commands]
    result = apply_plan(host, plan, skip_commands=True)
    assert result.status == "applied" and ["systemctl", "enable", "kdump.service"] in result.commands_skipped
    host.runner.calls.clear()
    undone = rollback(host)
    assert host.runner.calls == [], "rollback ran commands the apply never ran"
    assert undone.commands_run == [] and ["systemctl", "disable", "kdump.service"] in undone.not_applied
    assert tree_hash(host.root) == before


def test_rollback_disables_only_what_kdumpwiz_enabled(make_system):
    """A unit kdumpwiz enabled is disabled again; one enabled before the apply stays enabled."""
    host = make_system("fedora41-x86_64")
    apply_plan(host, _plan(host))
    assert detect(host).service.enabled
    host.runner.calls.clear()
    rollback(host)
    assert ("systemctl", "disable", "kdump.service") in host.runner.logical_calls
    assert not detect(host).service.enabled

    host = make_system("debian12-amd64")  # kdump-tools.service is enabled on this machine already
    plan = _plan(host, Answers(crashkernel="256M"))
    assert not any(c.argv[:2] == ("systemctl", "enable") for c in plan.commands)
    apply_plan(host, plan)
    host.runner.calls.clear()
    rollback(host)
    assert not any(c[:2] == ("systemctl", "disable") for c in host.runner.logical_calls)
    assert detect(host).service.enabled


def test_an_apply_that_changes_nothing_leaves_no_record(make_system):
    """Only commands planned and --skip-commands: nothing written, nothing recorded, nothing to roll back."""
    host = make_system("fedora41-x86_64")
    before = tree_hash(host.root)
    first = apply_plan(host, _plan(host), skip_commands=True)
    again = _plan(host)  # the unit is still not enabled: only 'systemctl enable' is left
    assert not again.files and again.commands
    result = apply_plan(host, again, skip_commands=True)
    assert result.status == "unchanged" and result.id == ""
    assert [r.id for r in list_applies(host)] == [first.id]
    undone = rollback(host)
    assert undone.id == first.id and undone.removed + undone.restored
    assert tree_hash(host.root) == before


def test_rollback_walks_back_apply_by_apply_to_the_original_tree(make_system):
    """apply A, apply B, an apply that changes nothing: rollback undoes B, then A, then says there is nothing left."""
    host = make_system("debian12-amd64")
    before = tree_hash(host.root)
    a = apply_plan(host, _plan(host, Answers(crashkernel="256M")))
    after_a = tree_hash(host.root)
    b = apply_plan(host, _plan(host, Answers(crashkernel="320M")))
    assert b.files_written and detect(host).boot.configured_crashkernel == "320M"
    noop = apply_plan(host, _plan(host, Answers(crashkernel="320M")))
    assert noop.status == "unchanged"
    assert rollback(host).id == b.id
    assert tree_hash(host.root) == after_a and detect(host).boot.configured_crashkernel == "256M"
    assert rollback(host).id == a.id
    assert tree_hash(host.root) == before
    with pytest.raises(ApplyError, match="no apply to roll back"):
        rollback(host)


def test_rollback_skips_a_recorded_apply_that_changed_nothing(make_system):
    """A record with no file written and no command started (e.g. from an older kdumpwiz) is walked over."""
    host = make_system("fedora41-x86_64")
    real = apply_plan(host, _plan(host), skip_commands=True)
    empty = _plan(host)
    state = StateDir(host)
    # What kdumpwiz wrote for such an apply before it stopped recording them.
    apply_mod._run_and_finish(host, state, _fake_record(host, state, empty), [apply_mod._command_doc(c) for c in empty.commands],
                              set(), [], [], True, apply_mod._noop, None)
    assert len(list_applies(host)) == 2 and not list_applies(host)[-1].changed
    assert rollback(host).id == real.id


def _fake_record(host, state, plan):
    """An apply directory holding plan.json and nothing else (no files, no commands run)."""
    import json
    apply_id = apply_mod._new_id()
    d = state.apply_dir(apply_id)
    os.makedirs(d, mode=0o700)
    doc = {"id": apply_id, "started": 0.0, "crashkernel": plan.crashkernel, "answers": {}, "files": [], "derived": [],
           "commands": [apply_mod._command_doc(c) for c in plan.commands]}
    with open(f"{d}/plan.json", "w") as fh:
        json.dump(doc, fh)
    return apply_id
