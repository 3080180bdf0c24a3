"""Shared fixtures: fixture machines built into temporary roots, and a tree hash.

Nothing here touches the real /etc, /boot, /proc or /sys: every host is a root
tree under pytest's tmp_path, and commands go to a recording runner.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Callable, Dict

import pytest

from kdumpwiz.demo.simulate import demo_runner
from kdumpwiz.engine.host import Host
from tests.fixtures import systems

# The developer's terminal must not change results (snapshots, colours).
for _var in ("NO_COLOR", "TEXTUAL_THEME", "TEXTUAL_ANIMATIONS", "COLORTERM", "FORCE_COLOR"):
    os.environ.pop(_var, None)


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
