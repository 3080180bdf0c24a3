"""Tests of the BLS entry editor (modelled on kdump-utils' Fedora 34 fixtures and RHEL 8 entries)."""

from __future__ import annotations

import pytest

from kdumpwiz.engine.editors import bls
from kdumpwiz.engine.editors import cmdline as cl
from kdumpwiz.engine.errors import EditError

OPTIONS = ("root=UUID=45fdf703-3966-401b-b8f7-cf056affd2b0 ro rhgb quiet "
           "crashkernel=4G-16G:768M,16G-64G:1G,64G-128G:2G,128G-1T:4G fadump=on")

FEDORA = f"""\
title Fedora (5.15.6-100.fc34.x86_64) 34 (Workstation Edition)
version 5.15.6-100.fc34.x86_64
linux /boot/vmlinuz-5.15.6-100.fc34.x86_64
initrd /boot/initramfs-5.15.6-100.fc34.x86_64.img
options {OPTIONS}
grub_users $grub_users
grub_arg --unrestricted
grub_class fedora
"""

RHEL8 = """\
title Red Hat Enterprise Linux (4.18.0-513.el8.x86_64) 8.9 (Ootpa)
version 4.18.0-513.el8.x86_64
linux /vmlinuz-4.18.0-513.el8.x86_64
initrd /initramfs-4.18.0-513.el8.x86_64.img $tuned_initrd
options $kernelopts $tuned_params
id rhel-20231101000000-4.18.0-513.el8.x86_64
grub_users $grub_users
grub_arg --unrestricted
grub_class kernel
"""


def test_parse_and_get() -> None:
    parsed = bls.parse(FEDORA)
    assert parsed[0] == ("title", "Fedora (5.15.6-100.fc34.x86_64) 34 (Workstation Edition)", 1)
    assert parsed[4] == ("options", OPTIONS, 5)
    assert [k for k, _, _ in parsed] == ["title", "version", "linux", "initrd", "options", "grub_users",
                                         "grub_arg", "grub_class"]
    assert bls.get(FEDORA, "version") == "5.15.6-100.fc34.x86_64"
    assert bls.get(FEDORA, "devicetree") is None


def test_get_returns_first_occurrence_and_skips_comments() -> None:
    text = "# options commented\noptions first\n  options   second\n"
    assert bls.get(text, "options") == "first"
    assert bls.parse(text) == [("options", "first", 2), ("options", "second", 3)]


def test_set_value_keeps_everything_else() -> None:
    new_opts = cl.set_param(OPTIONS, "crashkernel", "crashkernel=2G-64G:256M,64G-:512M")
    new = bls.set_value(FEDORA, "options", new_opts)
    assert new == FEDORA.replace(OPTIONS, OPTIONS.replace(
        "crashkernel=4G-16G:768M,16G-64G:1G,64G-128G:2G,128G-1T:4G", "crashkernel=2G-64G:256M,64G-:512M"))
    assert bls.set_value(new, "options", new_opts) == new
    assert bls.get(new, "options") == new_opts


def test_set_value_keeps_separator_and_only_first_line() -> None:
    text = "linux /vmlinuz\noptions \tro quiet  \r\noptions ignored by grub\n"
    new = bls.set_value(text, "options", "ro quiet crashkernel=1G")
    assert new == "linux /vmlinuz\noptions \tro quiet crashkernel=1G  \r\noptions ignored by grub\n"


def test_set_value_appends() -> None:
    text = "title x\nlinux /vmlinuz"
    assert bls.set_value(text, "options", "ro") == "title x\nlinux /vmlinuz\noptions ro\n"
    assert bls.set_value("linux /v\n", "options", "ro") == "linux /v\noptions ro\n"


def test_uses_kernelopts() -> None:
    assert bls.uses_kernelopts(RHEL8) is True
    assert bls.uses_kernelopts(FEDORA) is False
    assert bls.uses_kernelopts("options ${kernelopts} x\n") is True
    assert bls.uses_kernelopts("options $kerneloptsx\n") is False
    assert bls.uses_kernelopts("title no options\n") is False


def test_refusals() -> None:
    with pytest.raises(EditError) as exc:
        bls.parse("title x\noptions\nlinux /v\n", path="/boot/loader/entries/a.conf")
    assert (exc.value.path, exc.value.line) == ("/boot/loader/entries/a.conf", 2)
    with pytest.raises(EditError) as exc:
        bls.get("title x\n\noptions ro\n", "options")
    assert exc.value.line == 3
    with pytest.raises(EditError) as exc:
        bls.set_value("options\tro quiet\n", "options", "ro")
    assert exc.value.line == 1
    for bad in ("", "a\nb", " padded"):
        with pytest.raises(EditError):
            bls.set_value(FEDORA, "options", bad)
    with pytest.raises(ValueError):
        bls.set_value(FEDORA, "two words", "x")
    # Trailing blank lines are harmless: nothing follows them.
    assert bls.get(FEDORA + "\n\n", "grub_class") == "fedora"
