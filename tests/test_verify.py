"""Verify: the armed chain before and after a (simulated) reboot, with evidence and fixes."""

from __future__ import annotations

import pytest

from kdumpwiz.demo.simulate import simulate_reboot
from kdumpwiz.engine.answers import Answers
from kdumpwiz.engine.apply import apply_plan
from kdumpwiz.engine.detect import detect
from kdumpwiz.engine.errors import BlockedError, KdumpwizError
from kdumpwiz.engine.plan import build_plan
from kdumpwiz.engine.verify import trigger_test_crash, verify


def checks(result):
    return {c.name: c for c in result.checks}


def test_fresh_machine_is_not_armed_and_says_what_to_do(make_system):
    host = make_system("fedora41-x86_64")
    result = verify(host, detect(host))
    assert not result.armed
    c = checks(result)
    assert not c["cmdline"].ok and "kdumpwiz apply" in c["cmdline"].fix
    assert not c["reserved"].ok and not c["loaded"].ok
    assert "kdumpctl" in c["loaded"].fix


@pytest.mark.parametrize("name", ["ubuntu2404-cloud", "rhel9-x86_64", "opensuse-leap156-x86_64", "rhel8-x86_64"])
def test_apply_then_reboot_is_armed(name, make_system):
    host = make_system(name)
    plan = build_plan(host, detect(host), Answers())
    apply_plan(host, plan)
    before = verify(host, detect(host))
    assert not before.armed or plan.crashkernel == detect(host).kexec.running_crashkernel
    if plan.reboot_needed:
        assert before.reboot_pending
    token = simulate_reboot(host)
    assert token == plan.crashkernel
    facts = detect(host)
    result = verify(host, facts)
    c = checks(result)
    assert result.armed, [(x.name, x.detail, x.fix) for x in result.checks if not x.ok]
    assert not result.reboot_pending
    assert c["reserved"].ok and str(plan.reserved_bytes) in c["reserved"].detail
    assert c["iomem"].ok and c["loaded"].ok and c["service"].ok
    assert c["size"].ok
    assert result.to_dict()["armed"] is True


def test_rejected_value_is_explained_after_reboot(make_system):
    """A tiered value on a 1 GiB machine reserves nothing; verify quotes the kernel's reason."""
    host = make_system("ubuntu2404-cloud")
    # Boot with the machine's own kdump-tools default (no kdumpwiz drop-in): reserves nothing below 2 GiB.
    simulate_reboot(host)
    result = verify(host, detect(host))
    assert not result.armed
    c = checks(result)
    assert c["cmdline"].ok
    assert not c["reserved"].ok
    assert "crashkernel: invalid size" in c["reserved"].fix


def test_test_crash_needs_the_hostname_and_an_armed_machine(make_system):
    host = make_system("debian12-amd64")
    facts = detect(host)
    with pytest.raises(KdumpwizError, match="does not match"):
        trigger_test_crash(host, facts, "not-this-host")
    assert not host.path("/proc/sysrq-trigger").exists()


def test_test_crash_records_dumps_and_next_boot_reports_new_one(make_system):
    host = make_system("rhel9-x86_64")
    facts = detect(host)
    assert not verify(host, facts).armed  # the recording runner does not say the service is active
    host.runner.respond(["systemctl", "is-active", "kdump.service"], 0, "active\n")
    assert verify(host, facts).armed
    trigger_test_crash(host, facts, facts.hostname)
    assert host.path("/proc/sysrq-trigger").read_text() == "c\n"
    # Nothing new yet: the test-crash check fails with the likely cause.
    c = checks(verify(host, detect(host)))
    assert not c["test-crash"].ok and "out of memory" in c["test-crash"].fix
    (host.path("/var/crash") / "127.0.0.1-2026-11-26-23:59:01").mkdir()
    c = checks(verify(host, detect(host)))
    assert c["test-crash"].ok and "127.0.0.1-2026-11-26-23:59:01" in c["test-crash"].detail


def test_unarmed_machine_refuses_test_crash(make_system):
    host = make_system("fedora41-x86_64")
    facts = detect(host)
    with pytest.raises(BlockedError, match="not armed"):
        trigger_test_crash(host, facts, facts.hostname)
    assert not host.path("/proc/sysrq-trigger").exists()
