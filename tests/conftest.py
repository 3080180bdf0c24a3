"""Shared fixtures: fixture machines built into temporary roots, and a tree hash.

Nothing here touches the real /etc, /boot, /proc or /sys: every host is a root
tree under pytest's tmp_path, and commands go to a recording runner.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest

from kdumpwiz.demo.simulate import demo_runner
from kdumpwiz.engine.host import Host
from tests.fixtures import systems

# The developer's terminal must not change results (snapshots, colours).
for _var in ("NO_COLOR", "TEXTUAL_THEME", "TEXTUAL_ANIMATIONS", "COLORTERM", "FORCE_COLOR"):
    os.environ.pop(_var, None)


@pytest.fixture(autouse=True)
def _own_demo_machine(tmp_path_factory: Any, monkeypatch: Any) -> None:
    """Every test's --demo gets its own demo machine (the real one lives in ~/.local/state), and
    the processes a test starts inherit it through the environment."""
    monkeypatch.setenv("KDUMPWIZ_DEMO_DIR", str(tmp_path_factory.mktemp("demo-home") / "demo"))


class LiveApplyInTests(AssertionError):
    """A test asked the engine to change the machine running the suite."""


@pytest.fixture(autouse=True, scope="session")
def _never_apply_to_the_live_root() -> Iterator[None]:
    """The suite must never change the boot or kdump configuration of the machine it runs on.

    apply, finish and rollback all begin with ``apply._check_root(host)``: on the live root
    that is where the suite stops, before a lock, a state directory or a file is written.
    Forked children (the fault tests) inherit it.
    """
    from kdumpwiz.engine import apply as apply_mod

    real = apply_mod._check_root

    def check_root(host: Host) -> None:
        if host.is_live:
            raise LiveApplyInTests("a test tried to apply, finish or roll back on '/'")
        real(host)

    check_root.__wrapped__ = real  # type: ignore[attr-defined]
    real_run = Host.run

    def run(self: Host, argv: Any, **kwargs: Any) -> Any:
        # The same for commands: on '/', only ones that look and change nothing.
        if self.is_live and not isinstance(argv, (str, bytes)) and argv and _changes_the_machine(list(argv)):
            raise LiveApplyInTests(f"a test tried to run {list(argv)!r} on '/'")
        return real_run(self, argv, **kwargs)

    apply_mod._check_root = check_root  # type: ignore[assignment]
    Host.run = run  # type: ignore[assignment]
    try:
        yield
    finally:
        apply_mod._check_root = real  # type: ignore[assignment]
        Host.run = real_run  # type: ignore[assignment]


#: Programs that change a machine's boot, packages or kdump state, and the verbs of
#: them that only look (None: every verb changes something).
_MUTATING: Dict[str, Optional[frozenset]] = {
    "apt-get": frozenset({"download", "changelog", "check"}), "apt": None, "dpkg": frozenset({"-s", "-l", "-L", "--status"}),
    "dnf": None, "yum": None, "zypper": None, "rpm": frozenset({"-q", "-qa", "-qf", "--query"}),
    "update-grub": None, "grub-mkconfig": None, "grub2-mkconfig": None, "grubby": frozenset({"--info", "--default-kernel", "--default-index"}),
    "grub2-editenv": frozenset({"list"}), "grub-editenv": frozenset({"list"}), "zipl": None, "dracut": None, "mkinitrd": None,
    "update-initramfs": None, "kdumpctl": frozenset({"status", "showmem", "get-default-crashkernel"}),
    "kdump-config": frozenset({"status", "show", "test"}), "systemctl": frozenset({"is-enabled", "is-active", "status", "show", "cat"}),
    "kexec": None, "reboot": None, "shutdown": None, "mkdumprd": None, "bootctl": frozenset({"status", "list"}),
}


def _changes_the_machine(argv: List[str]) -> bool:
    name = os.path.basename(argv[0])
    if name not in _MUTATING:
        return False
    readonly = _MUTATING[name]
    return readonly is None or not any(a in readonly for a in argv[1:])


def tree_hash(root: Path, *, exclude: tuple = ("var/lib/kdumpwiz",)) -> Dict[str, str]:
    """path -> mode:sha256 (or link target) of every file and symlink below root, excluding kdumpwiz's state."""
    out: Dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        if any(rel_dir == e or rel_dir.startswith(e + "/") for e in exclude):
            dirnames[:] = []
            continue
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.normpath(os.path.join(rel_dir, name))
            if any(rel == e or rel.startswith(e + "/") for e in exclude):
                continue
            st = os.lstat(full)
            if os.path.islink(full):
                out[rel] = "link:" + os.readlink(full)
            elif os.path.isdir(full):
                # Directories hold no bytes; 'systemctl disable' leaves the .wants dirs
                # that 'enable' created, as the real tool does.
                continue
            else:
                with open(full, "rb") as fh:
                    out[rel] = f"{st.st_mode:o}:" + hashlib.sha256(fh.read()).hexdigest()
    return out


@pytest.fixture
def make_system(tmp_path: Path) -> Callable[[str], Host]:
    """Build a named fixture machine under tmp_path; returns its Host (recording runner)."""

    def make(name: str) -> Host:
        root = tmp_path / name
        root.mkdir()
        systems.build(name, root)
        return Host(root, demo_runner(root))

    return make
