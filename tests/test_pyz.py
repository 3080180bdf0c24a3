"""The single-file build (tools/build-pyz): kdumpwiz.pyz runs on Python 3.9 and 3.13, and refuses 3.8 clearly.

The file is built once per run with Python 3.9's pip (pyenv's interpreters are on these
machines; a missing one fails these tests, it does not skip them), then used as an
air-gapped host would: no PYTHONPATH, no installed kdumpwiz, only ``python3 kdumpwiz.pyz``.
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from kdumpwiz import __version__
from tests.test_terminal import Wizard

ROOT = Path(__file__).resolve().parent.parent


def pyenv(minor: str) -> str:
    found = sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{minor}.*/bin/python{minor}")))
    assert found, f"no Python {minor} under ~/.pyenv/versions (these machines carry 3.6-3.13)"
    return found[-1]


@pytest.fixture(scope="module")
def pyz(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pyz") / "kdumpwiz.pyz"
    subprocess.run([sys.executable, str(ROOT / "tools" / "build-pyz"), "--python", pyenv("3.9"), "-o", str(out)],
                   check=True, timeout=1500, capture_output=True)
    return out


def run(python: str, pyz: Path, *args: str, env=None, **kw) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    base.update(env or {})
    return subprocess.run([python, str(pyz), *args], capture_output=True, text=True, timeout=120, env=base,
                          cwd="/", **kw)


def test_only_pure_python_and_the_stylesheet_are_inside(pyz):
    names = zipfile.ZipFile(pyz).namelist()
    assert "__main__.py" in names and "kdumpwiz/app.tcss" in names and "kdumpwiz/launch.py" in names
    assert not [n for n in names if n.endswith((".so", ".pyd"))], "a compiled module ties the file to one Python"
    # Resolved by 3.9: releases that need 3.10 (markdown-it-py 4, platformdirs >= 4.5) must not be in it.
    meta = {n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA")}
    for dist in meta:
        text = zipfile.ZipFile(pyz).read(f"{dist}/METADATA").decode()
        requires = [ln for ln in text.splitlines() if ln.startswith("Requires-Python:")]
        assert not any(">=3.1" in r for r in requires), (dist, requires)


@pytest.mark.parametrize("minor", ["3.9", "3.13"])
def test_the_command_line_runs_from_the_file(pyz, tmp_path, minor):
    python = pyenv(minor)
    res = run(python, pyz, "--version")
    assert res.returncode == 0 and res.stdout.strip() == f"kdumpwiz {__version__}"
    env = {"KDUMPWIZ_DEMO_DIR": str(tmp_path / "demo")}
    answers = tmp_path / "answers.yaml"
    answers.write_text("crashkernel: 512M\ntarget: {type: local, path: /var/crash}\n")
    res = run(python, pyz, "--demo", "plan", "--answers", str(answers), "--json", env=env)
    assert res.returncode == 0, res.stderr
    plan = json.loads(res.stdout)
    assert plan["schema"] == 1 and plan["crashkernel"] == "512M"  # PyYAML's pure-Python safe_load read it
    res = run(python, pyz, "--demo", "apply", "--answers", str(answers), "--yes", "--json", env=env)
    assert res.returncode == 0 and json.loads(res.stdout)["status"] == "applied", res.stderr


def test_pure_python_yaml_refuses_what_the_answers_loader_refuses(pyz):
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import yaml; "
            "print(yaml.__with_libyaml__, yaml.safe_load('a: [1, 2]'))")
    res = subprocess.run([pyenv("3.9"), "-c", code, str(pyz)], capture_output=True, text=True, timeout=60)
    assert res.stdout.strip() == "False {'a': [1, 2]}", res.stderr


def test_the_wizard_runs_from_the_file(pyz, tmp_path):
    """Python 3.13, headless in a pty: the first step, then through the demo to Review, then quit."""
    w = Wizard(tmp_path, {"TERM": "xterm-256color", "KDUMPWIZ_DEMO_DIR": str(tmp_path / "demo")},
               command=[pyenv("3.13"), str(pyz)])
    try:
        # From a zip Python compiles every module at each start (zipimport keeps no bytecode): wait for it.
        end = time.monotonic() + 90
        while b"System" not in w.output and time.monotonic() < end:
            w.read_for(0.5)
        w.settle()
        assert b"System" in w.output and b"DEMO" in w.output
        w.next_steps(4)
        assert b"Review" in w.output
    finally:
        status = w.close()
    assert status is not None and os.WEXITSTATUS(status) == 0


@pytest.mark.parametrize("minor", ["3.6", "3.8"])  # RHEL 8's /usr/bin/python3, Ubuntu 20.04's
def test_an_old_python_finds_a_newer_one_or_says_what_to_install(pyz, tmp_path, minor):
    old = pyenv(minor)
    res = run(old, pyz, "--version", env={"PATH": str(tmp_path / "empty")})
    assert res.returncode == 2 and res.stdout == ""
    assert f"needs Python 3.9 or newer; this is Python {minor}" in res.stderr and "dnf install python3.12" in res.stderr
    bindir = tmp_path / "bin"
    bindir.mkdir()
    os.symlink(pyenv("3.13"), bindir / "python3.13")
    res = run(old, pyz, "--version", env={"PATH": str(bindir)})
    assert res.returncode == 0 and res.stdout.strip() == f"kdumpwiz {__version__}", res.stderr
