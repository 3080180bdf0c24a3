"""Every fixture machine end to end: detect, plan, apply, plan again (empty), rollback.

Each machine is a realistic root tree (tests/fixtures/systems.py). Commands go
to a recording runner whose only effects are the file effects of
``systemctl enable`` and grub regeneration, so the second plan can be empty.
"""

from __future__ import annotations

import pytest

from kdumpwiz.engine import crashkernel
from kdumpwiz.engine.answers import Answers
from kdumpwiz.engine.apply import apply_plan, rollback
from kdumpwiz.engine.detect import detect
from kdumpwiz.engine.errors import ApplyError, BlockedError
from kdumpwiz.engine.plan import build_plan
from tests.conftest import tree_hash
from tests.fixtures.systems import SYSTEMS

USABLE = [n for n, s in SYSTEMS.items() if not s.blockers]
BLOCKED = [n for n, s in SYSTEMS.items() if s.blockers]


@pytest.mark.parametrize("name", sorted(SYSTEMS))
def test_detect_matches_the_machine(name, make_system):
    """Detection reports what the tree really is (spec written by hand per machine)."""
    spec = SYSTEMS[name]
    facts = detect(make_system(name))
    assert facts.family == spec.family
    assert facts.distro.id == spec.distro_id
    assert facts.distro.version == spec.version
    assert facts.arch == spec.arch
    assert facts.kernel.release == spec.kernel_release
    assert facts.memory.system_ram_bytes == spec.system_ram_bytes
    assert facts.memory.source == "iomem"
    assert facts.memory.rounded_bytes % (128 << 20) == 0
    assert facts.memory.rounded_bytes - facts.memory.system_ram_bytes < (128 << 20)
    assert facts.cpus == spec.cpus
    assert facts.page_size == spec.page_size
    assert sorted(b.code for b in facts.blockers) == sorted(spec.blockers)
    assert facts.kexec.running_crashkernel == spec.running_crashkernel
    if not spec.blockers:
        assert facts.boot.method == spec.boot_method
        assert not facts.packages.missing
    d = facts.to_dict()
    for key in ("family", "arch", "blockers"):
        assert key in d
    assert d["distro"]["id"] == spec.distro_id and d["boot"]["method"]
    assert d["memory"]["system_ram_bytes"] == spec.system_ram_bytes
    assert all(isinstance(b, str) and b for b in d["blockers"])


@pytest.mark.parametrize("name", USABLE)
def test_plan_apply_replan_rollback(name, make_system):
    """The core promise on every supported machine."""
    host = make_system(name)
    before = tree_hash(host.root)
    facts = detect(host)
    plan = build_plan(host, facts, Answers())
    # The value planned is one the kernel accepts on this RAM and that kdumpwiz emits.
    res = crashkernel.evaluate_value(plan.crashkernel, facts.memory.system_ram_bytes, facts.arch)
    assert res.ok and res.reserved_bytes == plan.reserved_bytes
    assert crashkernel.spec_problem(plan.crashkernel, facts.arch) is None
    assert facts.memory.system_ram_bytes - plan.reserved_bytes >= 512 << 20
    assert plan.suggestion.reasons
    # Review's diff is exactly what apply writes.
    result = apply_plan(host, plan)
    # A plan with nothing to do (a configured default that is kept) leaves no record.
    assert result.status == ("unchanged" if plan.is_empty else "applied")
    for change in plan.files:
        assert host.read_bytes(change.path) == change.new_bytes()
    # The boot configuration now asks for the planned value.
    after = detect(host)
    assert after.boot.configured_crashkernel == plan.crashkernel
    # Idempotence: a second plan changes nothing.
    again = build_plan(host, after, Answers())
    assert again.is_empty, [f.diff for f in again.files] + [c.argv for c in again.commands]
    # Rollback restores the tree byte for byte (the recorded grub regeneration included,
    # because rollback re-runs it on the restored files).
    if plan.is_empty:
        with pytest.raises(ApplyError, match="no apply to roll back"):
            rollback(host)
    else:
        rollback(host)
    restored = tree_hash(host.root)
    changed = {k for k in set(before) | set(restored) if before.get(k) != restored.get(k)}
    assert not changed, sorted(changed)


@pytest.mark.parametrize("name", BLOCKED)
def test_blocked_machines_refuse_to_plan(name, make_system):
    """A container or a kernel without kexec gets a clear refusal, and nothing is written."""
    host = make_system(name)
    before = tree_hash(host.root)
    with pytest.raises(BlockedError) as err:
        build_plan(host, detect(host), Answers())
    assert "kdump cannot be set up here" in str(err.value)
    assert tree_hash(host.root) == before
