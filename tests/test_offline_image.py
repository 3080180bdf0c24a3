"""Offline images: a --root with no running kernel behind it (no /proc, no /sys).

Such a root is an unbooted image or a mounted disk. Its kernel state does not
exist yet, so the running-kernel checks must not turn into blockers ("no kexec
support"), and sizing needs the RAM of the machine that will boot it (--ram).
"""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import pytest

from kdumpwiz.cli import main
from kdumpwiz.engine import crashkernel
from kdumpwiz.engine.detect import detect, is_offline_image, newest_installed_release, read_elf_arch
from kdumpwiz.engine.host import Host
from tests.conftest import tree_hash
from tests.fixtures import systems


@pytest.fixture
def image(tmp_path: Path) -> Path:
    """The Debian 12 fixture with its /proc and /sys taken away, as in an unbooted image."""
    root = tmp_path / "image"
    root.mkdir()
    systems.build("debian12-amd64", root)
    for d in ("proc", "sys"):
        shutil.rmtree(root / d)
        (root / d).mkdir()
    return root


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_image_is_offline_and_fixture_is_not(image, tmp_path):
    live_like = tmp_path / "fixture"
    live_like.mkdir()
    systems.build("debian12-amd64", live_like)
    assert is_offline_image(Host(image))
    assert not is_offline_image(Host(live_like))


def test_offline_without_ram_is_blocked_for_the_right_reason(image):
    facts = detect(Host(image))
    codes = [b.code for b in facts.blockers]
    assert codes == ["ram-unknown"], codes   # not "no-kexec": the kernel is not missing, it is not running yet
    assert facts.offline and facts.memory.source == "unknown"
    assert "--ram" in facts.blockers[0].remedy
    # The release comes from the installed kernel, so the estimate still sees its files.
    assert facts.kernel.release == "6.1.0-28-amd64" and facts.kernel.vmlinuz_bytes
    assert facts.arch == "x86_64"
    assert any("offline image" in w for w in facts.warnings)


def test_offline_with_ram_plans_and_applies_then_verify_explains(capsys, image, tmp_path):
    answers = tmp_path / "a.yaml"
    answers.write_text("crashkernel: auto\ntarget: {type: local, path: /var/crash}\n")
    code, out, err = run(capsys, "--root", str(image), "--ram", "1G", "detect", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["offline"] and data["blockers"] == []
    assert data["memory"]["source"] == "given" and data["memory"]["system_ram_bytes"] == 1 << 30

    code, out, err = run(capsys, "--root", str(image), "--ram", "1G", "apply", "--answers", str(answers),
                         "--yes", "--skip-commands", "--json")
    assert code == 0, err
    planned = json.loads(out)["plan"]["crashkernel"]
    # What was written is what the kernel of a 1 GiB machine will reserve: non-zero.
    grub = (image / "etc/default/grub.d/zz-kdumpwiz.cfg").read_text()
    assert f"crashkernel={planned}" in grub
    assert crashkernel.evaluate_value(planned, 1 << 30, "x86_64").reserved_bytes > 0

    code, out, _ = run(capsys, "--root", str(image), "--ram", "1G", "verify", "--json")
    assert code == 1
    checks = json.loads(out)["checks"]
    assert [c["name"] for c in checks] == ["offline"]
    assert "boot the image" in checks[0]["fix"]


def test_ram_is_refused_where_a_kernel_is_running(capsys, tmp_path):
    root = tmp_path / "fixture"
    root.mkdir()
    systems.build("debian12-amd64", root)
    before = tree_hash(root)
    code, _, err = run(capsys, "--root", str(root), "--ram", "64G", "plan")
    assert code == 2 and "--ram is only for offline images" in err
    assert tree_hash(root) == before


@pytest.mark.parametrize("bad", ["lots", "0", "-1G", "16X"])
def test_bad_ram_value(capsys, image, bad):
    code, _, err = run(capsys, "--root", str(image), f"--ram={bad}", "detect")
    assert code == 2 and "--ram" in err


def _elf(machine: int, little: bool) -> bytes:
    """The first 20 bytes of an ELF header: magic, class, data, version, ..., e_type, e_machine."""
    order = "<" if little else ">"
    return b"\x7fELF" + bytes([2, 1 if little else 2, 1]) + bytes(9) + struct.pack(order + "HH", 2, machine)


@pytest.mark.parametrize("machine,little,arch", [
    (0x3E, True, "x86_64"), (0xB7, True, "aarch64"), (0x15, True, "ppc64le"), (0x16, False, "s390x"),
])
def test_elf_arch_of_an_image(tmp_path, machine, little, arch):
    (tmp_path / "usr/bin").mkdir(parents=True)
    (tmp_path / "usr/bin/dash").write_bytes(_elf(machine, little) + bytes(100))
    (tmp_path / "bin").symlink_to("usr/bin")
    (tmp_path / "usr/bin/sh").symlink_to("dash")
    assert read_elf_arch(Host(tmp_path)) == arch


def test_elf_arch_ignores_scripts(tmp_path):
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin/sh").write_text("#!/bin/busybox sh\n" + "x" * 40)
    assert read_elf_arch(Host(tmp_path)) is None


def test_newest_installed_release_sorts_numerically(tmp_path):
    boot = tmp_path / "boot"
    boot.mkdir()
    for rel in ("6.1.0-9-amd64", "6.1.0-10-amd64", "6.1.0-10-amd64.old", "5.10.0-30-amd64"):
        (boot / f"vmlinuz-{rel}").write_bytes(b"k")
    assert newest_installed_release(Host(tmp_path)) == "6.1.0-10-amd64"


def test_wizard_redetect_keeps_the_overrides(image):
    """After a reboot or a package install the wizard detects again: --ram and --arch must survive it."""
    from kdumpwiz.state import WizardState

    host = Host(image)
    state = WizardState(host=host, facts=detect(host, arch="x86_64", ram=2 << 30), arch="x86_64", ram=2 << 30)
    facts = state.redetect()
    assert facts.memory.source == "given" and facts.memory.system_ram_bytes == 2 << 30
    assert not facts.blockers and state.facts is facts


def test_copied_tree_takes_kernel_and_arch_from_its_own_files(tmp_path):
    """A copy with /proc files but no /proc/sys: the release from BOOT_IMAGE=, the arch from it, not 'unknown'."""
    import shutil

    from kdumpwiz.demo.simulate import demo_runner
    from kdumpwiz.engine.detect import detect
    from kdumpwiz.engine.host import Host
    from tests.fixtures import systems

    root = tmp_path / "copy"
    root.mkdir()
    systems.build("debian12-amd64", root)
    shutil.rmtree(root / "proc/sys")  # what a copy of a live /proc usually lacks
    facts = detect(Host(root, demo_runner(root)))
    assert facts.kernel.release == "6.1.0-28-amd64" and facts.arch == "x86_64"
    assert not any(b.code == "unsupported-arch" for b in facts.blockers)
    assert facts.kernel.vmlinuz == "/boot/vmlinuz-6.1.0-28-amd64"
