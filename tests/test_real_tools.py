"""Real tools as the judges of what the next boot gets (not kdumpwiz's own readers).

Every fixture machine is planned and applied with the recording runner, then:

* Debian/Ubuntu: Debian's real ``grub-mkconfig`` (grub-common) generates grub.cfg
  from the fixture's /etc/default/grub + grub.d chain, inside a private mount
  namespace; the default entry's ``linux`` line must carry the planned
  crashkernel=, and after a rollback grub-mkconfig gives the old lines again;
* RHEL 8: the real ``grub-editenv list`` must show ``kernelopts`` with exactly
  the planned token and nothing else changed, in a 1024-byte block;
* BLS machines: systemd's ``bootctl list`` (systemd-boot) must read the planned
  crashkernel= from the default entry's ``options``;
* every shell-sourced file kdumpwiz writes, on every machine: ``dash`` sources
  it under ``set -e`` (the whole grub.d chain in byte order) and gets the values
  kdumpwiz's shell model says.

The crashkernel= tokens the tools print are evaluated with the kernel-parser
model (``crashkernel.evaluate``, table-tested against the kernel).  The real
/etc/default, /etc/grub.d, /boot and grub-probe of this machine are hashed
before and after, and must not change.

Needs, as root: the Debian packages grub-common, systemd-boot, dash and
util-linux (unshare), and CAP_SYS_ADMIN for ``unshare --mount`` and bind mounts.
A missing tool is a failure that names its package, never a skip.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Sequence

import pytest

from kdumpwiz.engine import bootconfig, crashkernel
from kdumpwiz.engine.answers import Answers, Target
from kdumpwiz.engine.apply import apply_plan, rollback
from kdumpwiz.engine.detect import detect
from kdumpwiz.engine.editors import shellvars
from kdumpwiz.engine.errors import IneffectiveEditError
from kdumpwiz.engine.plan import build_plan
from tests import realtools
from tests.conftest import tree_hash
from tests.fixtures.systems import SYSTEMS

DEBIAN = ["debian12-amd64", "ubuntu2204-amd64", "ubuntu2404-arm64", "ubuntu2404-cloud"]
BLS = ["rhel9-x86_64", "fedora41-x86_64", "rocky9-aarch64-64k", "amazon2023-x86_64", "rhel9-s390x"]
USABLE = sorted(n for n, s in SYSTEMS.items() if not s.blockers)
#: auto (the suggestion, or a kept configured value), a plain size, and a range list.
VALUES = ["auto", "448M", "1G-8G:256M,8G-:512M"]


class Guard:
    """This machine's real boot paths, hashed when a test starts; ``check()`` compares them again."""

    def __init__(self) -> None:
        self.before = realtools.host_state()
        self.checked = False

    def check(self) -> None:
        after = realtools.host_state()
        changed = sorted(k for k in set(self.before) | set(after) if self.before.get(k) != after.get(k))
        self.checked = True
        assert not changed, f"a real tool changed this machine's own files or mounts: {changed}"


@pytest.fixture
def guard() -> Iterator[Guard]:
    missing = realtools.missing_tools()
    assert not missing, "install the real tools first: apt-get install -y " + " ".join(
        sorted({m.split("package ")[1].rstrip(")") for m in missing})) + f" (missing {missing})"
    g = Guard()
    yield g
    if not g.checked:
        g.check()


def crashkernel_words(args: str) -> List[str]:
    return [w for w in args.split() if w.startswith("crashkernel=")]


def without_crashkernel(args: str) -> List[str]:
    return [w for w in args.split() if not w.startswith("crashkernel=")]


def grub_saved_entry(root: Path) -> Optional[str]:
    env = root / "boot" / "grub" / "grubenv"
    return realtools.grub_editenv_list(env).get("saved_entry") if env.is_file() else None


# -- 1. Debian/Ubuntu: the real grub-mkconfig --------------------------------------------


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("name", DEBIAN)
def test_real_grub_mkconfig_boots_the_planned_crashkernel(name: str, value: str, make_system, guard: Guard) -> None:
    host = make_system(name)
    root = host.root
    facts = detect(host)
    ram, arch, release = facts.memory.system_ram_bytes, facts.arch, facts.kernel.release
    before = realtools.grub_mkconfig(root)
    tree_before = tree_hash(root)

    plan = build_plan(host, facts, Answers(crashkernel=value))
    apply_plan(host, plan)
    after = realtools.grub_mkconfig(root)

    # 10_linux really listed the fixture's kernel, and the entry GRUB boots by default is one of its entries.
    default = after.default_entry(grub_saved_entry(root))
    assert os.path.basename(default.linux) == f"vmlinuz-{release}", default
    res = crashkernel.evaluate(default.args, ram, arch)
    assert res.found and res.token == plan.crashkernel, (default.args, plan.crashkernel)
    assert res.reserved_bytes == plan.reserved_bytes > 0
    # Every normal entry (the advanced submenu too) ends with the planned token (the kernel takes the last
    # one; kdump-tools.cfg's own token stays before it, by design); no other word moved.
    normal_before = {e.title: e for e in before.normal_entries()}
    assert {e.title for e in after.normal_entries()} == set(normal_before)
    for entry in after.normal_entries():
        assert crashkernel_words(entry.args)[-1:] == [f"crashkernel={plan.crashkernel}"], entry
        assert crashkernel.evaluate(entry.args, ram, arch).token == plan.crashkernel, entry
        assert without_crashkernel(entry.args) == without_crashkernel(normal_before[entry.title].args), entry
    # Recovery entries take GRUB_CMDLINE_LINUX only: untouched, as before the apply.
    assert [e.args for e in after.recovery_entries()] == [e.args for e in before.recovery_entries()]

    # kdumpwiz's own reader predicts the same line (10_linux adds only root= and ro in front).
    predicted, _ = bootconfig.configured_cmdline(host, facts.boot.method, release)
    real_words = default.args.split()
    assert real_words[:2] == ["root=/dev/vda", "ro"], real_words
    assert real_words[2:] == (predicted or "").split(), (
        f"grub-mkconfig and kdumpwiz's reader disagree:\n real: {default.args}\n ours: {predicted}")

    # Rollback: grub-mkconfig generates exactly the old linux lines again.
    if plan.is_empty:
        assert tree_hash(root) == tree_before
    else:
        rollback(host)
    restored = realtools.grub_mkconfig(root)
    assert [(e.title, e.args) for e in restored.entries] == [(e.title, e.args) for e in before.entries]
    assert crashkernel_words(restored.default_entry(grub_saved_entry(root)).args) == crashkernel_words(
        before.default_entry(grub_saved_entry(root)).args)
    guard.check()


#: Drop-ins an administrator may add after (in byte order) or around kdumpwiz's zz-kdumpwiz.cfg.
LATER_DROPINS = {
    # Appends with a self-reference: kdumpwiz's token survives, the console follows it.
    "appends": ("zzz-serial.cfg", 'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT console=ttyS1,115200"\n', None),
    # Its own crashkernel= after kdumpwiz's: the plan must refuse, and grub really boots the 1G.
    "overrides": ("zzz-site.cfg", 'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT crashkernel=1G"\n', "1G"),
    # Sorts before zz-kdumpwiz.cfg in bytes ('L' < 'k') but after it in en_US collation: grub-mkconfig is
    # /bin/sh = dash, whose globs sort bytewise in every locale, so kdumpwiz's token is the last.
    "sorts-before-in-bytes": ("zz-Local.cfg", 'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT crashkernel=1G"\n',
                              None),
}


@pytest.mark.parametrize("case", sorted(LATER_DROPINS))
def test_real_grub_mkconfig_agrees_on_other_dropins(case: str, make_system, guard: Guard) -> None:
    host = make_system("ubuntu2204-amd64")
    name, text, overridden = LATER_DROPINS[case]
    host.path(f"/etc/default/grub.d/{name}").write_text(text)
    facts = detect(host)
    ram, arch = facts.memory.system_ram_bytes, facts.arch
    if overridden:
        tree_before = tree_hash(host.root)
        with pytest.raises(IneffectiveEditError, match=f"would use crashkernel={overridden}"):
            build_plan(host, facts, Answers(crashkernel="448M"))
        assert tree_hash(host.root) == tree_before
        real = realtools.grub_mkconfig(host.root).default_entry()
        assert crashkernel.evaluate(real.args, ram, arch).token == overridden, real.args
    else:
        plan = build_plan(host, facts, Answers(crashkernel="448M"))
        apply_plan(host, plan)
        real = realtools.grub_mkconfig(host.root).default_entry()
        assert crashkernel.evaluate(real.args, ram, arch).token == plan.crashkernel == "448M", real.args
        if case == "appends":
            assert real.args.split()[-2:] == ["crashkernel=448M", "console=ttyS1,115200"], real.args
    guard.check()


# -- 2. RHEL 8: kernelopts in grubenv, read by the real grub-editenv ------------------------


def expand_grub_vars(options: str, env: Dict[str, str]) -> str:
    """blscfg's expansion of ``$name``/``${name}`` words from grubenv (unset: nothing)."""
    words = []
    for w in options.split():
        m = re.fullmatch(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", w)
        words += (env.get(m.group(1), "").split() if m else [w])
    return " ".join(words)


@pytest.mark.parametrize("value", ["auto", "448M", "1G-4G:192M,4G-64G:256M,64G-:512M"])
def test_real_grub_editenv_reads_the_planned_kernelopts(value: str, make_system, guard: Guard) -> None:
    host = make_system("rhel8-x86_64")
    root = host.root
    facts = detect(host)
    assert facts.boot.method == "grubenv-kernelopts"
    grubenv = root / "boot" / "grub2" / "grubenv"
    original_bytes = grubenv.read_bytes()
    env0 = realtools.grub_editenv_list(grubenv)
    old_opts = env0["kernelopts"].split()
    assert crashkernel_words(env0["kernelopts"]) == ["crashkernel=auto"]

    plan = build_plan(host, facts, Answers(crashkernel=value))
    apply_plan(host, plan)
    env1 = realtools.grub_editenv_list(grubenv)
    assert len(grubenv.read_bytes()) == 1024
    # Exactly the planned token, in the old token's place; every other word and variable unchanged.
    expected = [f"crashkernel={plan.crashkernel}" if w.startswith("crashkernel=") else w for w in old_opts]
    assert env1["kernelopts"].split() == expected, env1["kernelopts"]
    assert {k: v for k, v in env1.items() if k != "kernelopts"} == {k: v for k, v in env0.items() if k != "kernelopts"}
    res = crashkernel.evaluate(env1["kernelopts"], facts.memory.system_ram_bytes, facts.arch)
    assert res.token == plan.crashkernel and res.reserved_bytes == plan.reserved_bytes > 0

    # What GRUB boots: the saved entry as bootctl parses it, its $kernelopts expanded from grubenv.
    entries = {e["id"]: e for e in realtools.bootctl_list(root)}
    default = entries[env1["saved_entry"] + ".conf"]
    booted = expand_grub_vars(default["options"], env1)
    assert crashkernel.evaluate(booted, facts.memory.system_ram_bytes, facts.arch).token == plan.crashkernel

    rollback(host)
    assert realtools.grub_editenv_list(grubenv) == env0
    assert grubenv.read_bytes() == original_bytes
    guard.check()


# -- 3. BLS entries, read by systemd's bootctl ------------------------------------------------


def bls_default_id(root: Path, method: str, entries: Sequence[dict]) -> str:
    """The entry the boot loader boots: GRUB's saved_entry (read by grub-editenv); zipl: the newest (first)."""
    if method == "zipl-bls":
        return entries[0]["id"]
    env = root / "boot" / "grub2" / "grubenv"
    saved = realtools.grub_editenv_list(env).get("saved_entry")
    assert saved, f"GRUB_DEFAULT=saved but {env} has no saved_entry"
    return saved + ".conf"


@pytest.mark.parametrize("value", ["auto", "448M"])
@pytest.mark.parametrize("name", BLS)
def test_real_bootctl_reads_the_planned_crashkernel(name: str, value: str, make_system, guard: Guard) -> None:
    host = make_system(name)
    root = host.root
    facts = detect(host)
    ram, arch = facts.memory.system_ram_bytes, facts.arch
    before = {e["id"]: e for e in realtools.bootctl_list(root)}
    assert before, "bootctl found no entries"

    plan = build_plan(host, facts, Answers(crashkernel=value))
    apply_plan(host, plan)
    listed = realtools.bootctl_list(root)
    after = {e["id"]: e for e in listed}
    assert set(after) == set(before)

    default_id = bls_default_id(root, facts.boot.method, listed)
    default = after[default_id]
    res = crashkernel.evaluate(default["options"], ram, arch)
    assert res.found and res.token == plan.crashkernel, (default_id, default["options"], plan.crashkernel)
    assert res.reserved_bytes == plan.reserved_bytes > 0
    # kdumpwiz reads the same entry as the default (else it proved the wrong one).
    ours = bootconfig.default_bls_entry(bootconfig.bls_entries(host), facts.kernel.release)
    assert ours is not None and os.path.basename(ours.path) == default_id
    for eid, entry in after.items():
        # Only the crashkernel= word changes, on any entry.
        assert without_crashkernel(entry["options"]) == without_crashkernel(before[eid]["options"]), eid
        assert {k: v for k, v in entry.items() if k != "options"} == {
            k: v for k, v in before[eid].items() if k != "options"}, eid
        if "rescue" not in eid:
            # A fallback to another installed kernel is armed too.
            assert crashkernel_words(entry["options"]) == [f"crashkernel={plan.crashkernel}"], eid

    if not plan.is_empty:
        rollback(host)
    restored = {e["id"]: e for e in realtools.bootctl_list(root)}
    assert restored == before
    guard.check()


# -- 4. Every shell-sourced file kdumpwiz writes, sourced by dash -------------------------------

SHELL_FILES = ("/etc/default/grub", "/etc/default/kdump-tools", "/etc/sysconfig/kdump")
ANSWER_SETS: Dict[str, Callable[[], Answers]] = {
    "auto-local": lambda: Answers(),
    "448M-ssh-extra": lambda: Answers(
        crashkernel="448M", target=Target(type="ssh", path="/srv/crash", host="kdump@backup.example.com",
                                          key="/root/.ssh/kdump_id_rsa"),
        dump_level=17, compression="zstd", extra_args="nokaslr console=ttyS0,115200"),
    "range-nfs": lambda: Answers(
        crashkernel="1G-8G:256M,8G-:512M", target=Target(type="nfs", path="/export/crash", host="nas.example.com:/srv"),
        dump_level=1, compression="lzo"),
}
_ASSIGN = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=", re.M)


def is_shell_file(path: str) -> bool:
    return path in SHELL_FILES or (path.startswith("/etc/default/grub.d/") and path.endswith(".cfg"))


def source_chain(host, path: str) -> List[str]:
    """The files a reader sources to see ``path``: grub-mkconfig reads /etc/default/grub then grub.d/*.cfg."""
    if path == "/etc/default/grub" or path.startswith("/etc/default/grub.d/"):
        names = sorted((n for n in host.listdir("/etc/default/grub.d") if n.endswith(".cfg")), key=os.fsencode)
        return (["/etc/default/grub"] if host.exists("/etc/default/grub") else []) + [
            f"/etc/default/grub.d/{n}" for n in names]
    return [path]


def edited_names(old: Optional[str], new: str) -> List[str]:
    """Variables assigned on the lines the edit added."""
    old_lines = set((old or "").splitlines())
    return sorted({m.group(1) for line in new.splitlines() if line not in old_lines
                   for m in [_ASSIGN.match(line)] if m})


@pytest.mark.parametrize("answers", sorted(ANSWER_SETS))
@pytest.mark.parametrize("name", USABLE)
def test_every_written_shell_file_sources_under_dash(name: str, answers: str, make_system, guard: Guard) -> None:
    host = make_system(name)
    facts = detect(host)
    plan = build_plan(host, facts, ANSWER_SETS[answers]().validate())
    apply_plan(host, plan)
    shell = [c for c in plan.files if is_shell_file(c.path)]
    for change in shell:
        assert host.read_bytes(change.path) == change.new_bytes()
        chain = source_chain(host, change.path)
        names = edited_names(change.old, change.new)
        assert names, f"{change.path}: an edit that assigns nothing?\n{change.diff}"
        grub = change.path.startswith("/etc/default/grub")
        cmdline_vars = ["GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT"] if grub else []
        values = realtools.dash_source(host.root, chain, names + cmdline_vars)
        got = {n: values[n] for n in names}
        # kdumpwiz's shell model reads the written chain exactly as dash does.
        model = shellvars.evaluate([(p, host.read_text(p)) for p in chain], names)
        assert got == model, (change.path, chain)
        if grub:
            # What grub(2)-mkconfig's 10_linux puts on the linux line boots the planned value.
            line = f"{values['GRUB_CMDLINE_LINUX']} {values['GRUB_CMDLINE_LINUX_DEFAULT']}"
            res = crashkernel.evaluate(line, facts.memory.system_ram_bytes, facts.arch)
            assert res.token == plan.crashkernel, (change.path, line)
        if change.path == "/etc/sysconfig/kdump" and "KDUMP_CRASHKERNEL" in names:
            res = crashkernel.evaluate(got["KDUMP_CRASHKERNEL"], facts.memory.system_ram_bytes, facts.arch)
            assert res.token == plan.crashkernel, got["KDUMP_CRASHKERNEL"]
    guard.check()
