"""Snapshot fixtures: deterministic apps on fixture machines and the demo.

Everything that varies between machines or runs (free disk space, apply ids,
timestamps) is pinned here so a baseline means the same screen everywhere.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable, Optional

import pytest

from kdumpwiz.app import KdumpwizApp
from kdumpwiz.demo.simulate import demo_runner, prepare_demo
from kdumpwiz.engine import apply as apply_mod
from kdumpwiz.engine.detect import detect
from kdumpwiz.engine.host import Host
from kdumpwiz.state import WizardState
from tests.fixtures import systems

FREE = 200 * 1024 ** 3


def fixed_facts(host: Host):
    """Facts with the machine-dependent free space pinned."""
    facts = detect(host)
    return dataclasses.replace(facts, dump=dataclasses.replace(facts.dump, free_bytes=FREE))


@pytest.fixture(autouse=True)
def _fixed_ids(monkeypatch) -> None:
    monkeypatch.setattr(apply_mod, "_new_id", lambda: "20261126T120000.000000-4242")


@pytest.fixture(autouse=True)
def _fixed_root_in_hints(monkeypatch) -> None:
    """Hints name 'kdumpwiz --root ROOT ...'; the temporary ROOT is shown as /srv/image."""
    real_cli = Host.cli
    monkeypatch.setattr(Host, "cli", lambda self, words: real_cli(self, words).replace(str(self.root), "/srv/image"))


@pytest.fixture
def wizard(tmp_path: Path) -> Callable[..., KdumpwizApp]:
    """Build an app: ``wizard('demo')`` or ``wizard('container')``; options ascii, start_step, prepare."""

    def make(name: str, *, ascii: bool = False, start_step: Optional[int] = None,
             prepare: Optional[Callable[[Host], None]] = None) -> KdumpwizApp:
        root = tmp_path / name
        if name == "demo":
            host = prepare_demo(str(root))
        else:
            root.mkdir()
            systems.build(name, root)
            host = Host(root, demo_runner(root))
        if prepare is not None:
            prepare(host)
        state = WizardState(host=host, facts=fixed_facts(host), demo=name == "demo", ascii=ascii)
        return KdumpwizApp(state, theme="ansi-dark" if ascii else "textual-dark", start_step=start_step)

    return make
