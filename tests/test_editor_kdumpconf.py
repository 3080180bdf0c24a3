"""Tests of the /etc/kdump.conf editor (modelled on kdump-utils' generated kdump.conf)."""

from __future__ import annotations

from typing import List

import pytest

from kdumpwiz.engine.editors import kdumpconf as kc
from kdumpwiz.engine.errors import EditError

SHIPPED = """\
# This file contains a series of commands to perform (in order) in the kdump
# kernel after a kernel crash in the crash kernel(1st kernel) has happened.
#
# auto_reset_crashkernel <yes|no>
#           - whether to reset kernel crashkernel to new default value
#
# ssh <user@server>
#           - Will save /proc/vmcore to <user@server>:<path>/%HOST-%DATE/,
#
# final_action <reboot | halt | poweroff>
#           - Action to perform in case dumping succeeds.
#

#raw /dev/vg/lv_kdump
#ext4 /dev/vg/lv_kdump
#ext4 LABEL=/boot
#nfs my.server.com:/export/tmp
#ssh user@my.server.com
#ssh user@2001:db8::1:2:3:4
#sshkey /root/.ssh/kdump_id_rsa
auto_reset_crashkernel yes
path /var/crash
core_collector makedumpfile -l --message-level 7 -d 31
#core_collector scp
#failure_action shell
#dracut_args --omit-drivers "cfg80211 snd" --add-drivers "ext2 ext3"
"""


def lines(text: str) -> List[str]:
    return text.splitlines(keepends=True)


def test_parse_and_get() -> None:
    assert [(d.keyword, d.value, d.line) for d in kc.parse(SHIPPED)] == [
        ("auto_reset_crashkernel", "yes", 21),
        ("path", "/var/crash", 22),
        ("core_collector", "makedumpfile -l --message-level 7 -d 31", 23),
    ]
    assert kc.get(SHIPPED, "path") == "/var/crash"
    assert kc.get(SHIPPED, "ssh") is None
    text = "path /a\n  path   /b   with  spaces # comment\n"
    assert kc.get(text, "path") == "/b with spaces"


def test_set_directive_replaces_value_only() -> None:
    new = kc.set_directive(SHIPPED, "auto_reset_crashkernel", "no")
    assert new == SHIPPED.replace("auto_reset_crashkernel yes\n", "auto_reset_crashkernel no\n")
    assert kc.set_directive(new, "auto_reset_crashkernel", "no") == new
    text = "  path\t/var/crash   # where dumps go\n"
    assert kc.set_directive(text, "path", "/srv/crash") == "  path\t/srv/crash   # where dumps go\n"


def test_set_directive_unchanged_when_equal() -> None:
    assert kc.set_directive(SHIPPED, "path", "/var/crash") == SHIPPED
    assert kc.set_directive(SHIPPED, "core_collector", "makedumpfile  -l --message-level 7 -d 31") == SHIPPED


def test_set_directive_comments_out_duplicates() -> None:
    text = "path /a\nssh root@x\npath /b # old\n"
    new = kc.set_directive(text, "path", "/c")
    assert new == "path /c\nssh root@x\n#path /b # old\n"
    assert kc.set_directive(new, "path", "/c") == new
    assert kc.get(new, "path") == "/c"


def test_set_directive_inserts_after_last_example() -> None:
    new = kc.set_directive(SHIPPED, "ssh", "kdump@backup.example.com")
    old_lines = lines(SHIPPED)
    new_lines = lines(new)
    idx = old_lines.index("#ssh user@2001:db8::1:2:3:4\n")
    assert new_lines[: idx + 1] == old_lines[: idx + 1]
    assert new_lines[idx + 1] == "ssh kdump@backup.example.com\n"
    assert new_lines[idx + 2:] == old_lines[idx + 1:]
    assert kc.set_directive(new, "ssh", "kdump@backup.example.com") == new
    # sshkey has its own example; "#ssh..." lines are not examples of it and vice versa.
    new2 = kc.set_directive(new, "sshkey", "/root/.ssh/kdump_ed25519")
    assert "#sshkey /root/.ssh/kdump_id_rsa\nsshkey /root/.ssh/kdump_ed25519\nauto_reset_crashkernel yes\n" in new2
    new3 = kc.set_directive(SHIPPED, "failure_action", "reboot")
    assert "#failure_action shell\nfailure_action reboot\n#dracut_args" in new3


def test_set_directive_appends_without_example() -> None:
    # The documentation line "# final_action <reboot | ...>" is not an example: append at the end.
    new = kc.set_directive(SHIPPED, "final_action", "poweroff")
    assert new == SHIPPED + "final_action poweroff\n"
    assert kc.set_directive("path /x", "nfs", "srv:/export") == "path /x\nnfs srv:/export\n"
    assert kc.set_directive("", "nfs", "srv:/export") == "nfs srv:/export\n"
    # An example line at the very end without a newline.
    assert kc.set_directive("#raw /dev/sdb1", "raw", "/dev/sdc1") == "#raw /dev/sdb1\nraw /dev/sdc1\n"


def test_comment_out() -> None:
    text = "ext4 UUID=1234\npath /var/crash\n  ext4 /dev/sdb1 # second\n#ext4 LABEL=x\n"
    new = kc.comment_out(text, "ext4")
    assert new == "#ext4 UUID=1234\npath /var/crash\n#  ext4 /dev/sdb1 # second\n#ext4 LABEL=x\n"
    assert kc.comment_out(new, "ext4") == new
    assert kc.comment_out(SHIPPED, "nfs") == SHIPPED
    assert kc.get(new, "ext4") is None


def test_switch_target() -> None:
    text = "nfs srv:/export\npath /crash\n"
    new = kc.set_directive(kc.comment_out(text, "nfs"), "ssh", "root@h")
    assert new == "#nfs srv:/export\npath /crash\nssh root@h\n"


def test_crlf_line_endings_are_kept() -> None:
    text = "path /a\r\nssh x@y\r\n"
    assert kc.set_directive(text, "path", "/b") == "path /b\r\nssh x@y\r\n"


def test_refusals() -> None:
    with pytest.raises(EditError) as exc:
        kc.set_directive("ssh x@y\npath=/var/crash\n", "path", "/a")
    assert exc.value.line == 2
    with pytest.raises(EditError) as exc:
        kc.set_directive("core_collector\n", "core_collector", "makedumpfile -d 31")
    assert exc.value.line == 1
    with pytest.raises(EditError) as exc:
        kc.comment_out("raw: /dev/sdb\n", "raw")
    assert exc.value.line == 1
    for bad in ("", "   ", "a # b", "a\nb"):
        with pytest.raises(EditError):
            kc.set_directive(SHIPPED, "path", bad)
    with pytest.raises(ValueError):
        kc.set_directive(SHIPPED, "bad keyword", "x")
    # Unrelated odd lines do not matter.
    assert kc.set_directive("weird=line\npath /a\n", "path", "/b") == "weird=line\npath /b\n"
