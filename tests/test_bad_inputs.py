"""Bad-input matrix through the command line: a clear message, the right exit code, nothing changed.

Every case runs ``kdumpwiz --root TREE apply --yes --skip-commands`` (or
``plan``) in-process on a fixture machine and checks:

* the exit code is the one README's "exit codes" promise for that kind of error
  (3 answers, 4 a file cannot be edited, 5 crashkernel, 6 blocked, 7 apply);
* the message on stderr names the bad value, file or line;
* the tree hash before equals the tree hash after (``--skip-commands``: even a
  wrongly accepted input could not run a command, only write files -- which
  this check would catch).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, List, Optional, Tuple, Union

import pytest

from kdumpwiz.cli import main
from kdumpwiz.engine import host as host_mod
from tests.conftest import tree_hash
from tests.fixtures import systems

ANSWERS, EDIT, CRASH, BLOCKED = 3, 4, 5, 6

#: (id, answers document, expected exit code, text the message must contain)
ANSWER_CASES: List[Tuple[str, Union[str, bytes], int, str]] = [
    ("wrong-type-crashkernel-list", "crashkernel: [1, 2]\n", ANSWERS, "crashkernel"),
    ("wrong-type-crashkernel-int", "crashkernel: 256\n", ANSWERS, "256"),
    ("wrong-type-dump-level", "dump_level: lots\n", ANSWERS, "dump_level"),
    ("dump-level-range", "dump_level: 99\n", ANSWERS, "99"),
    ("wrong-type-enable", "enable_service: maybe\n", ANSWERS, "enable_service"),
    ("wrong-type-target", "target: 5\n", ANSWERS, "target"),
    ("wrong-type-target-path", "target: {type: local, path: 7}\n", ANSWERS, "target.path"),
    ("top-level-list", "- a\n- b\n", ANSWERS, "mapping"),
    ("unknown-key", "crashkernel: 256M\nreboot_now: true\n", ANSWERS, "reboot_now"),
    ("unknown-target-key", "target: {type: local, command: id}\n", ANSWERS, "command"),
    ("unknown-compression", "compression: bzip9\n", ANSWERS, "bzip9"),
    ("huge", "extra_args: \"" + "a" * 70000 + "\"\n", ANSWERS, "too large"),
    ("alias-bomb", "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                   "c: [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n", ANSWERS, "aliases"),
    ("anchor-only", "crashkernel: &x 256M\n", ANSWERS, "anchors"),
    ("not-utf8", b"crashkernel: 256M\nextra_args: \"\xff\xfe\"\n", ANSWERS, "UTF-8"),
    ("malformed-yaml", "crashkernel: [256M\n", ANSWERS, "YAML"),
    ("python-tag", "crashkernel: !!python/object/apply:os.system [id]\n", ANSWERS, "YAML"),
    ("path-dotdot", "target: {type: local, path: /var/crash/../../etc}\n", ANSWERS, ".."),
    ("path-newline", "target: {type: local, path: \"/var/crash\\nfoo\"}\n", ANSWERS, "newline"),
    ("path-space", "target: {type: local, path: /var/my crash}\n", ANSWERS, "/var/my crash"),
    ("path-proc", "target: {type: local, path: /proc/crash}\n", ANSWERS, "/proc"),
    ("path-etc", "target: {type: local, path: /etc}\n", ANSWERS, "/etc"),
    ("path-relative", "target: {type: local, path: var/crash}\n", ANSWERS, "absolute"),
    ("path-root", "target: {type: local, path: /}\n", ANSWERS, "/"),
    ("path-shell", "target: {type: local, path: \"/var/$(reboot)\"}\n", ANSWERS, "$(reboot)"),
    ("ssh-proxycommand", "target: {type: ssh, host: \"-oProxyCommand=touch /tmp/pwned\"}\n", ANSWERS, "ProxyCommand"),
    ("ssh-leading-dash", "target: {type: ssh, host: -lroot@backup}\n", ANSWERS, "-lroot@backup"),
    ("ssh-host-option", "target: {type: ssh, host: \"kdump@-oProxyCommand=x\"}\n", ANSWERS, "ProxyCommand"),
    ("ssh-no-user", "target: {type: ssh, host: backup.example.com}\n", ANSWERS, "user@host"),
    ("ssh-key-option", "target: {type: ssh, host: kdump@backup, key: -i/root/x}\n", ANSWERS, "-i/root/x"),
    ("ssh-key-dotdot", "target: {type: ssh, host: kdump@backup, key: /root/../etc/shadow}\n", ANSWERS, "key"),
    ("nfs-semicolon", "target: {type: nfs, host: \"srv:/exp;reboot\"}\n", ANSWERS, "srv:/exp;reboot"),
    ("nfs-cmdsub", "target: {type: nfs, host: \"srv:/exp$(id)\"}\n", ANSWERS, "$(id)"),
    ("nfs-backtick", "target: {type: nfs, host: \"`id`:/exp\"}\n", ANSWERS, "`id`"),
    ("nfs-space", "target: {type: nfs, host: \"srv:/exp -o x\"}\n", ANSWERS, "srv:/exp -o x"),
    ("raw-on-debian", "target: {type: raw, device: /dev/vdb1}\n", ANSWERS, "raw"),
    ("extra-args-shell", "extra_args: \"quiet; reboot\"\n", ANSWERS, "quiet;"),
    ("extra-args-crashkernel", "extra_args: crashkernel=1G\n", ANSWERS, "crashkernel=1G"),
    ("crashkernel-two-words", "crashkernel: 256M crashkernel=512M\n", ANSWERS, "single value"),
]

#: Every invalid form of field guide §2.5, plus values the kernel accepts but kdumpwiz will not write.
CRASHKERNEL_CASES = [
    "256MB", "no", "0128M", "0512M", "0x10000000", "1G-:256M,high", "512M,low", "256M,cma", ":256M",
    "2G-1G:128M", "2G-2G:128M", "1G-4G:128M,4G-", "0", "1G-:0M", "256M,High", "1T", "2G-4G:3G",
    "256M@16M", "2G-:256M@1G", "1G-:256MB",
    # sizes >= RAM (8 GiB machine) and sizes that leave too little RAM
    "8G", "16G", "7G", "5G",
]


def run(capsys, root: Path, argv: List[str], answers: Optional[Union[str, bytes]] = None,
        tmp: Optional[Path] = None) -> Tuple[int, str]:
    """Run the CLI; returns (exit code, stderr)."""
    full = ["--root", str(root)] + argv
    if answers is not None:
        assert tmp is not None
        path = tmp / "answers.yaml"
        path.write_bytes(answers if isinstance(answers, bytes) else answers.encode())
        full += ["--answers", str(path)]
    code = main(full)
    out, err = capsys.readouterr()
    return code, err


@pytest.fixture
def debian(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    root.mkdir()
    systems.build("debian12-amd64", root)
    return root


def _expect(capsys, root: Path, argv: List[str], code: int, needle: str, answers=None, tmp=None) -> None:
    before = tree_hash(root, exclude=())
    got, err = run(capsys, root, argv, answers, tmp)
    assert got == code, f"exit {got}, expected {code}: {err}"
    assert needle in err, f"message does not name {needle!r}: {err}"
    assert err.startswith("kdumpwiz: ") and "Traceback" not in err
    assert tree_hash(root, exclude=()) == before, "a refused input changed the tree (state included)"



@pytest.mark.parametrize("case", ANSWER_CASES, ids=[c[0] for c in ANSWER_CASES])
def test_bad_answers(capsys, debian, tmp_path, case):
    _, doc, code, needle = case
    _expect(capsys, debian, ["apply", "--yes", "--skip-commands"], code, needle, doc, tmp_path)


@pytest.mark.parametrize("value", CRASHKERNEL_CASES)
def test_bad_crashkernel(capsys, debian, tmp_path, value):
    _expect(capsys, debian, ["apply", "--yes", "--skip-commands"], CRASH, f"crashkernel={value}",
            f"crashkernel: '{value}'\n", tmp_path)


def test_answers_file_missing(capsys, debian, tmp_path):
    before = tree_hash(debian, exclude=())
    code, err = run(capsys, debian, ["plan", "--answers", str(tmp_path / "nope.yaml")])
    assert code == ANSWERS and "nope.yaml" in err and tree_hash(debian, exclude=()) == before


# -- the files kdumpwiz edits ----------------------------------------------------------------

KDUMP_TOOLS = "/etc/default/kdump-tools"
TARGET_CHANGE = "target: {type: local, path: /srv/crash}\n"


def _symlink(root: Path) -> None:
    real = root / KDUMP_TOOLS.lstrip("/")
    os.rename(real, str(real) + ".real")
    os.symlink("kdump-tools.real", real)


def _directory(root: Path) -> None:
    real = root / KDUMP_TOOLS.lstrip("/")
    real.unlink()
    real.mkdir()


def _not_utf8(root: Path) -> None:
    real = root / KDUMP_TOOLS.lstrip("/")
    real.write_bytes(real.read_bytes() + b"# caf\xe9\n")


def _syntax(root: Path) -> None:
    real = root / KDUMP_TOOLS.lstrip("/")
    real.write_text(real.read_text() + 'KDUMP_COREDIR="/var/crash\n')


def _plus_equals(root: Path) -> None:
    (root / "etc/default/grub").write_text((root / "etc/default/grub").read_text()
                                           + 'GRUB_CMDLINE_LINUX_DEFAULT+=" quiet"\n')


FILE_CASES: List[Tuple[str, Callable[[Path], None], int, str]] = [
    ("symlink", _symlink, EDIT, f"{KDUMP_TOOLS}: is a symbolic link"),
    ("directory", _directory, EDIT, f"{KDUMP_TOOLS}: is a directory"),
    ("not-utf8", _not_utf8, EDIT, f"{KDUMP_TOOLS}: {KDUMP_TOOLS} is not valid UTF-8"),
    ("unterminated-quote", _syntax, EDIT, f"{KDUMP_TOOLS}:"),
    ("plus-equals", _plus_equals, EDIT, "/etc/default/grub:"),
]


@pytest.mark.parametrize("case", FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_bad_config_files(capsys, debian, tmp_path, case):
    _, damage, code, needle = case
    damage(debian)
    _expect(capsys, debian, ["apply", "--yes", "--skip-commands"], code, needle, TARGET_CHANGE, tmp_path)


def test_unreadable_config_file(capsys, debian, tmp_path, monkeypatch):
    """chmod 000 does not stop root, so the read itself is made to fail (EACCES)."""
    real_read = host_mod.Host.read_bytes

    def read_bytes(self, p):
        if p == KDUMP_TOOLS:
            raise host_mod.HostError(f"cannot read {p}: Permission denied")
        return real_read(self, p)

    monkeypatch.setattr(host_mod.Host, "read_bytes", read_bytes)
    _expect(capsys, debian, ["apply", "--yes", "--skip-commands"], EDIT, f"{KDUMP_TOOLS}: cannot read",
            TARGET_CHANGE, tmp_path)


def test_line_number_is_named(capsys, debian, tmp_path):
    """A refusal inside a file names file:line."""
    _plus_equals(debian)
    lines = (debian / "etc/default/grub").read_text().count("\n")
    _expect(capsys, debian, ["plan"], EDIT, f"/etc/default/grub:{lines}:", None, tmp_path)


# -- machines where kdump cannot be set up ------------------------------------------------------


def _machine(tmp_path: Path, name: str) -> Path:
    root = tmp_path / name
    root.mkdir()
    systems.build(name, root)
    return root


def test_container_is_blocked(capsys, tmp_path):
    _expect(capsys, _machine(tmp_path, "container"), ["apply", "--yes", "--skip-commands"], BLOCKED,
            "container", None, tmp_path)


def test_kernel_without_kexec_is_blocked(capsys, tmp_path):
    _expect(capsys, _machine(tmp_path, "no-kexec"), ["apply", "--yes", "--skip-commands"], BLOCKED,
            "kexec", None, tmp_path)


def test_boot_missing(capsys, debian, tmp_path):
    """/boot gone (not mounted): the grub chain cannot be proven, so nothing is written."""
    import shutil

    shutil.rmtree(debian / "boot")
    before = tree_hash(debian, exclude=())
    code, err = run(capsys, debian, ["apply", "--yes", "--skip-commands"])
    assert code == BLOCKED and "Traceback" not in err and err.startswith("kdumpwiz: ")
    assert "/boot is missing" in err, err
    assert tree_hash(debian, exclude=()) == before


def test_boot_read_only(capsys, tmp_path, monkeypatch):
    """A read-only /boot (grubenv on RHEL 8): EROFS becomes exit 7 with a clear message, the tree is unchanged."""
    import errno

    from kdumpwiz.engine import apply as apply_mod

    root = _machine(tmp_path, "rhel8-x86_64")
    real_mkstemp = apply_mod.tempfile.mkstemp

    def mkstemp(*args, **kwargs):
        if str(kwargs.get("dir", "")).startswith(str(root / "boot")):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), kwargs["dir"])
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(apply_mod.tempfile, "mkstemp", mkstemp)
    before = tree_hash(root)
    code, err = run(capsys, root, ["apply", "--yes", "--skip-commands"], "crashkernel: 512M\n", tmp_path)
    assert code == 7 and "Read-only file system" in err and "/boot/grub2/grubenv" in err, err
    # Not a refused input but a failed apply: the files are as before, and the state keeps
    # one record of it (history for 'rollback --list'), marked failed, nothing to roll back.
    assert tree_hash(root) == before
    records = apply_mod.list_applies(host_mod.Host(root))
    assert [r.status for r in records] == ["failed"], records


def test_cases_are_distinct():
    """Each case is its own input with its own expected words: a copied row would add a
    green test that proves nothing new, and an empty needle would match any message."""
    for cases in (ANSWER_CASES, FILE_CASES):
        ids = [c[0] for c in cases]
        assert len(set(ids)) == len(ids), ids
        inputs = [repr(c[1:-2]) for c in cases]
        assert len(set(inputs)) == len(inputs), [i for i in inputs if inputs.count(i) > 1]
        assert all(c[-1] for c in cases)
    assert len(set(CRASHKERNEL_CASES)) == len(CRASHKERNEL_CASES)
