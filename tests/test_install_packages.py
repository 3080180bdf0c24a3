"""Installing missing kdump packages: Ubuntu's metapackage, and ``kdumpwiz install-packages`` for real.

The CLI test runs the real command path -- ``chroot ROOT apt-get install ...``
through the subprocess runner -- into a fixture tree that holds a stand-in
``apt-get``: a dash script (dash and its libc copied into the tree) that
records its arguments and environment and then marks kdump-tools installed in
dpkg's status file, as the real apt would. No package archive is reachable
from the test machines; the real apt-get runs in the QEMU e2e (issue 11).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from kdumpwiz.engine.detect import detect

REPO = Path(__file__).resolve().parent.parent


def drop_package(root: Path, name: str) -> str:
    """Remove ``name``'s stanza from dpkg's status file; returns the stanza."""
    path = root / "var/lib/dpkg/status"
    text = path.read_text()
    stanza = re.search(rf"(?ms)^Package: {re.escape(name)}\n.*?(?:\n\n|\Z)", text).group(0)
    path.write_text(text.replace(stanza, ""))
    return stanza


def test_ubuntu_installs_through_linux_crashdump(make_system):
    host = make_system("ubuntu2404-cloud")
    drop_package(host.root, "kdump-tools")
    p = detect(host).packages
    assert p.missing == ("kdump-tools",)
    assert p.install_argv == ("apt-get", "install", "--yes", "linux-crashdump", "kdump-tools")


def test_debian_installs_only_what_is_missing(make_system):
    host = make_system("debian12-amd64")
    drop_package(host.root, "makedumpfile")
    assert detect(host).packages.install_argv == ("apt-get", "install", "--yes", "makedumpfile")


def _fake_apt(root: Path, stanza: str, exit_code: int = 0) -> Path:
    """dash + libc inside the tree, and /usr/bin/apt-get as a dash script."""
    for lib in ("/bin/dash", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"):
        dest = root / lib.lstrip("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(os.path.realpath(lib), dest)
    (root / "tmp").mkdir(exist_ok=True)
    (root / "var/lib/dpkg/kdump-tools.stanza").write_text(stanza)
    script = root / "usr/bin/apt-get"
    script.write_text(
        "#!/bin/dash\n"
        'echo "argv: $*" > /tmp/apt-call\n'
        'echo "DEBIAN_FRONTEND=$DEBIAN_FRONTEND" >> /tmp/apt-call\n'
        'echo "Setting up kdump-tools ..."\n'
        + (f"exit {exit_code}\n" if exit_code else "")
        # dash builtins only: the tree has no cat
        + "{ echo; while IFS= read -r line; do echo \"$line\"; done < /var/lib/dpkg/kdump-tools.stanza; } "
          ">> /var/lib/dpkg/status\n"
    )
    script.chmod(0o755)
    return root / "tmp/apt-call"


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kdumpwiz"] + list(args), capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(REPO)), timeout=120, check=False)


def test_install_packages_runs_apt_non_interactively_and_reports(make_system):
    host = make_system("debian12-amd64")
    stanza = drop_package(host.root, "kdump-tools")
    call = _fake_apt(host.root, stanza)
    proc = _cli("--root", str(host.root), "install-packages", "--yes", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["ran"][:2] == ["chroot", str(host.root)] and data["ran"][2:] == ["apt-get", "install", "--yes",
                                                                                "kdump-tools"]
    assert data["missing"] == [] and "kdump-tools" in data["installed"]
    assert data["undo"] == "apt-get remove kdump-tools"
    assert call.read_text() == "argv: install --yes kdump-tools\nDEBIAN_FRONTEND=noninteractive\n"
    # Nothing left to do: a second run says so and runs nothing.
    call.unlink()
    proc = _cli("--root", str(host.root), "install-packages", "--yes")
    assert proc.returncode == 0 and "All kdump packages are installed" in proc.stdout
    assert not call.exists()


def test_install_packages_failure_says_what_is_still_missing(make_system):
    host = make_system("debian12-amd64")
    _fake_apt(host.root, drop_package(host.root, "kdump-tools"), exit_code=100)
    proc = _cli("--root", str(host.root), "install-packages", "--yes")
    assert proc.returncode != 0
    assert "exited 100; still missing: kdump-tools" in proc.stderr
    assert "Setting up kdump-tools" in proc.stderr  # apt's output streamed to the admin


def test_install_packages_asks_without_yes(make_system):
    host = make_system("debian12-amd64")
    call = _fake_apt(host.root, drop_package(host.root, "kdump-tools"))
    proc = _cli("--root", str(host.root), "install-packages")
    assert proc.returncode != 0 and "pass --yes" in proc.stderr
    assert not call.exists()
