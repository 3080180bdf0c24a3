"""Security pass: argv only from an allow-list, private state, temp files beside their targets,
extended attributes kept, SSH keys never copied or printed, test-crash needs a typed confirmation.

(``tests/test_code_rules.py`` already proves statically that nothing uses a shell.)
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import List, Tuple

import pytest

from kdumpwiz.cli import main
from kdumpwiz.demo.simulate import demo_runner
from kdumpwiz.engine import apply as apply_mod
from kdumpwiz.engine.answers import Answers, Target
from kdumpwiz.engine.apply import apply_plan, rollback
from kdumpwiz.engine.detect import detect
from kdumpwiz.engine.errors import KdumpwizError
from kdumpwiz.engine.host import Host
from kdumpwiz.engine.plan import build_plan
from tests.conftest import tree_hash
from tests.fixtures import systems

#: Every program kdumpwiz may run during apply and rollback (after its "chroot ROOT").
ALLOWED_PROGRAMS = {"update-grub", "grub2-mkconfig", "systemctl", "zipl", "kdumpctl", "dracut", "grub2-editenv"}
SAFE_ARG = re.compile(r"[A-Za-z0-9_./@:=,+-]+")

#: Valid answers whose values look as hostile as validation lets through.
HOSTILE_BUT_VALID = [
    Answers(crashkernel="512M", target=Target(type="local", path="/srv/crash-dumps+x@y_z.d"),
            extra_args="console=ttyS0,115200n8 nmi_watchdog=1 a.b-c=/d:e@f", compression="zstd", dump_level=0),
    Answers(crashkernel="2G-:256M", target=Target(type="ssh", path="/var/crash", host="kdump-x@backup.example.com",
                                                  key="/root/.ssh/kdump_id_rsa")),
    Answers(crashkernel="384M", target=Target(type="nfs", path="/dumps", host="nfs-1.example.com:/export/crash+1"),
            enable_service=False),
]

RUNNABLE = [n for n, s in systems.SYSTEMS.items() if not s.blockers]


def _build(tmp_path: Path, name: str) -> Host:
    root = tmp_path / name
    root.mkdir()
    systems.build(name, root)
    return Host(root, demo_runner(root))


@pytest.mark.parametrize("name", RUNNABLE)
def test_every_argv_is_allow_listed(tmp_path, name):
    """Full plan/apply/rollback with hostile-but-valid answers: each argv is a list of safe str words."""
    host = _build(tmp_path, name)
    before = tree_hash(host.root)
    ran = 0
    for answers in HOSTILE_BUT_VALID:
        try:
            plan = build_plan(host, detect(host), answers)
        except KdumpwizError:
            continue  # the family refuses this target type or value: nothing runs
        apply_plan(host, plan)
        rollback(host)
        assert tree_hash(host.root) == before
        ran += 1
    assert ran >= 1
    calls: List[Tuple[str, ...]] = host.runner.calls
    for argv in calls:
        assert isinstance(argv, tuple) and all(isinstance(a, str) for a in argv)
        assert argv[:2] == ("chroot", str(host.root)), argv
        program, args = argv[2], argv[3:]
        assert program in ALLOWED_PROGRAMS, argv
        for arg in args:
            assert SAFE_ARG.fullmatch(arg), f"unsafe argument {arg!r} in {argv}"


def test_state_is_root_only(tmp_path):
    """The state directory is 0700 and every file in it 0600, lock and pending.json included."""
    host = _build(tmp_path, "opensuse-leap156-x86_64")
    apply_plan(host, build_plan(host, detect(host), Answers()))
    state = host.path(apply_mod.STATE_DIR)
    seen = 0
    for dirpath, dirnames, filenames in os.walk(state):
        assert stat.S_IMODE(os.stat(dirpath).st_mode) == 0o700, dirpath
        for f in filenames:
            assert stat.S_IMODE(os.stat(os.path.join(dirpath, f)).st_mode) == 0o600, f
            seen += 1
    assert {"lock", "pending.json"} <= set(os.listdir(state)) and seen > 5


def test_temp_files_are_created_beside_their_target(tmp_path, monkeypatch):
    host = _build(tmp_path, "rhel9-x86_64")
    plan = build_plan(host, detect(host), Answers(crashkernel="512M"))
    made: List[str] = []
    real_mkstemp = apply_mod.tempfile.mkstemp

    def mkstemp(*args, **kwargs):
        made.append(kwargs["dir"])
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(apply_mod.tempfile, "mkstemp", mkstemp)
    apply_plan(host, plan)
    for change in plan.files:
        assert os.path.dirname(str(host.path(change.path))) in made
    state = str(host.path(apply_mod.STATE_DIR))
    for d in made:
        assert d.startswith(state) or any(d == os.path.dirname(str(host.path(c.path))) for c in plan.files), d


def _can_set(path: Path, name: str) -> bool:
    try:
        os.setxattr(path, name, b"probe")
        os.removexattr(path, name)
        return True
    except OSError:
        return False


def test_extended_attributes_are_kept(tmp_path):
    """SELinux label (and any other xattr) survives the rename of apply and of rollback."""
    host = _build(tmp_path, "rhel9-x86_64")
    target = host.path("/etc/kdump.conf")
    names = {"security.selinux": b"system_u:object_r:kdump_etc_t:s0\x00", "user.kdumpwiz-test": b"kept"}
    names = {n: v for n, v in names.items() if _can_set(target, n)}
    if not names:
        pytest.fail("this filesystem takes no xattrs at all; run the suite on one that does (ext4, xfs, tmpfs)")
    for n, v in names.items():
        os.setxattr(target, n, v)
    plan = build_plan(host, detect(host), Answers(crashkernel="512M", target=Target(path="/srv/crash")))
    assert "/etc/kdump.conf" in [c.path for c in plan.files]
    ino = os.stat(target).st_ino
    apply_plan(host, plan)
    assert os.stat(target).st_ino != ino, "not replaced by rename: the test would prove nothing"
    for n, v in names.items():
        assert os.getxattr(target, n) == v, n
    rollback(host)
    for n, v in names.items():
        assert os.getxattr(target, n) == v, n


SECRET = "SECRET-KEY-MATERIAL-3f9a7c"


def test_private_ssh_key_never_leaves_its_file(tmp_path, capsys):
    """Plan JSON, answers YAML, journal, state files and every printed line hold the key's path, never its content."""
    host = _build(tmp_path, "debian12-amd64")
    key = host.path("/root/.ssh/kdump_id_rsa")
    key.parent.mkdir(parents=True, exist_ok=True)
    key.write_text(f"-----BEGIN OPENSSH PRIVATE KEY-----\n{SECRET}\n-----END OPENSSH PRIVATE KEY-----\n")
    os.chmod(key, 0o600)
    answers = Answers(target=Target(type="ssh", path="/var/crash", host="kdump@backup.example.com",
                                    key="/root/.ssh/kdump_id_rsa"))
    plan = build_plan(host, detect(host), answers)
    texts = [json.dumps(plan.to_dict()), answers.to_yaml()]
    apply_plan(host, plan)
    afile = tmp_path / "a.yaml"
    afile.write_text(answers.to_yaml())
    for argv in (["plan", "--json"], ["plan"], ["rollback", "--list", "--json"], ["detect", "--json"]):
        main(["--root", str(host.root)] + argv + (["--answers", str(afile)] if argv[0] == "plan" else []))
        out, err = capsys.readouterr()
        texts += [out, err]
    for dirpath, _, filenames in os.walk(host.path(apply_mod.STATE_DIR)):
        for f in filenames:
            texts.append(Path(dirpath, f).read_bytes().decode("latin-1"))
    for name in ("/etc/default/kdump-tools",):
        texts.append(host.read_text(name))
    assert any("/root/.ssh/kdump_id_rsa" in t for t in texts), "the key path should be configured"
    for t in texts:
        assert SECRET not in t and "PRIVATE KEY" not in t
    # No copy of the key anywhere else in the tree.
    for dirpath, _, filenames in os.walk(host.root):
        for f in filenames:
            p = Path(dirpath, f)
            if p != key and not p.is_symlink() and p.stat().st_size < 1 << 20:
                assert SECRET.encode() not in p.read_bytes(), p


def test_test_crash_needs_typed_confirmation(tmp_path, capsys):
    """Without a TTY and without --confirm it refuses; a wrong host name is refused; nothing is triggered."""
    host = _build(tmp_path, "debian12-amd64")
    trigger = host.path("/proc/sysrq-trigger")
    before = trigger.read_bytes() if trigger.exists() else None
    code = main(["--root", str(host.root), "test-crash"])
    _, err = capsys.readouterr()
    assert code == 2 and "--confirm HOSTNAME" in err
    code = main(["--root", str(host.root), "test-crash", "--confirm", "not-this-host"])
    _, err = capsys.readouterr()
    assert code == 2 and "does not match" in err and "bookworm-vm" in err
    after = trigger.read_bytes() if trigger.exists() else None
    assert after == before, "the crash was triggered"
