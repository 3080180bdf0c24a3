"""Host.reading(): the read scope detect and plan run in (bench/speed) caches, but never changes an answer.

Each test would fail if the scope resolved a path differently, served a read outside
its scope or thread, or turned an unreadable file into a readable one.
"""

from __future__ import annotations

import os
import threading

import pytest

from kdumpwiz.engine.errors import HostError
from kdumpwiz.engine.host import Host

#: Paths that cross every kind of link the tree below holds.
PATHS = [
    "/boot/vmlinuz-1", "/boot/cur", "/boot/cur/x", "/var/lib/kdump/vmlinuz", "/var/lib/kdump/escape",
    "/var/lib/kdump/dotdot", "/lnk/entries/a.conf", "/lnk/../boot/vmlinuz-1", "/boot/./vmlinuz-1",
    "/rel/a.conf", "/dangling", "/dangling/child", "/loop/a", "/etc", "/", "/boot//vmlinuz-1",
    "/abs-dir/a.conf", "/abs-dir/sub/../a.conf", "/missing/file",
]


def _tree(root):
    (root / "boot/loader/entries").mkdir(parents=True)
    (root / "boot/vmlinuz-1").write_text("kernel")
    (root / "boot/loader/entries/a.conf").write_text("title a\n")
    (root / "boot/loader/entries/sub").mkdir()
    (root / "var/lib/kdump").mkdir(parents=True)
    (root / "etc").mkdir()
    os.symlink("/boot/vmlinuz-1", root / "var/lib/kdump/vmlinuz")
    os.symlink("/etc/shadow", root / "var/lib/kdump/escape")
    os.symlink("../../../../../../etc/passwd", root / "var/lib/kdump/dotdot")
    os.symlink("boot/loader", root / "lnk")
    os.symlink("boot/loader/entries", root / "rel")
    os.symlink("/boot/loader/entries", root / "abs-dir")
    os.symlink("vmlinuz-1", root / "boot/cur")
    os.symlink("/nowhere", root / "dangling")
    os.symlink("b", root / "loopa")
    os.symlink("loopa", root / "b")
    os.symlink("/loopa", root / "loop")


def _resolve_all(host: Host):
    out = {}
    for p in PATHS:
        for follow in (True, False):
            try:
                out[(p, follow)] = host.path(p, follow=follow)
            except HostError as exc:
                out[(p, follow)] = f"HostError: {exc}"
    return out


def test_paths_resolve_the_same_inside_the_scope(tmp_path):
    _tree(tmp_path)
    host = Host(tmp_path)
    outside = _resolve_all(host)
    with host.reading():
        first = _resolve_all(host)
        second = _resolve_all(host)  # now from the cache
    assert first == outside
    assert second == outside


def test_reads_are_fresh_after_the_scope_and_in_other_threads(tmp_path):
    _tree(tmp_path)
    host = Host(tmp_path)
    entry = tmp_path / "boot/loader/entries/a.conf"
    seen = {}
    with host.reading():
        assert host.read_text("/rel/a.conf") == "title a\n"
        entry.write_text("title b\n")
        # Within the scope the first read stands (the plan sees one consistent tree) ...
        assert host.read_text("/rel/a.conf") == "title a\n"
        worker = threading.Thread(target=lambda: seen.setdefault("other", host.read_text("/rel/a.conf")))
        worker.start()
        worker.join()
    # ... but another thread (an apply beside a planning worker) and every later read see the file as it is.
    assert seen["other"] == "title b\n"
    assert host.read_text("/rel/a.conf") == "title b\n"


def test_nested_scopes_end_with_the_outermost(tmp_path):
    _tree(tmp_path)
    host = Host(tmp_path)
    entry = tmp_path / "boot/loader/entries/a.conf"
    with host.reading():
        with host.reading():
            host.read_text("/boot/loader/entries/a.conf")
        entry.write_text("title c\n")
        assert host.read_text("/boot/loader/entries/a.conf") == "title a\n"
    assert host.read_text("/boot/loader/entries/a.conf") == "title c\n"


def test_an_unreadable_file_stays_an_error(tmp_path):
    _tree(tmp_path)
    host = Host(tmp_path)
    with host.reading():
        for _ in range(2):
            with pytest.raises(HostError, match="cannot read /missing/file"):
                host.read_bytes("/missing/file")
            with pytest.raises(HostError, match="too many levels"):
                host.read_bytes("/loop/a")
            assert host.read_optional("/dangling") is None
