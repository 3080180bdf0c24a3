"""The rpm database reader, with the real rpm as the oracle.

Needs Debian's ``rpm`` package (it ships ``rpm``, ``rpmbuild`` and rpm's Lua
with ``rpm.vercmp``/``rpm.ver``). Packages are built by rpmbuild and installed
with ``rpm -i --justdb`` into temporary trees; the fixture writer's databases
are read back by ``rpm -qa``; every version comparison is asked of rpm itself.
Nothing is skipped when rpm is missing: these tests are the proof the reader
and the fixtures agree with rpm, so a missing rpm is a failure.
"""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import struct
import subprocess
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import pytest

from kdumpwiz.engine import rpmdb
from kdumpwiz.engine.host import Host
from kdumpwiz.engine.rpmdb import RpmPackage
from tests.conftest import tree_hash
from tests.fixtures.rpmdb import (TAG_ARCH, TAG_EPOCH, TAG_NAME, TAG_RELEASE, TAG_SOURCERPM, TAG_VERSION,
                                  TYPE_INT32, TYPE_STRING, encode_header, package_header, write_blobs,
                                  write_rpmdb)

RPM = shutil.which("rpm")
RPMBUILD = shutil.which("rpmbuild")
QF = "%{NAME} %{EPOCH} %{VERSION} %{RELEASE} %{ARCH}\\n"

#: (name, epoch, version, release) of every package the tests build.
BUILT = [
    ("kexec-tools", None, "2.0.26", "8.el9"),
    ("kexec-tools", None, "2.0.26", "10.el9"),
    ("kexec-tools", None, "2.0.29", "2.el10"),
    ("kdump-utils", 1, "1.0.51", "11.el10_0"),
    ("kdump-utils", None, "1.0.53", "1.el10"),
    ("bash", None, "5.2.26", "6.el10"),
]


class Rpm:
    """The real rpm tools, run with a private HOME so no ~/.rpmmacros changes the results."""

    def __init__(self, home: Path) -> None:
        assert RPM and RPMBUILD, "the rpm oracle is missing: apt-get install rpm (Debian package 'rpm')"
        self.home = home
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LC_ALL": "C"}
        self.version = ""

    def run(self, *argv: str, env: Optional[Dict[str, str]] = None) -> str:
        """Run an rpm tool; its stdout, failing the test on a non-zero exit."""
        out = subprocess.run(list(argv), capture_output=True, text=True, env={**self.env, **(env or {})},
                             timeout=60)
        assert out.returncode == 0, f"{argv}: {out.returncode}\n{out.stdout}\n{out.stderr}"
        return out.stdout

    def lua(self, code: str, env: Dict[str, str]) -> str:
        """Output of a Lua snippet evaluated by rpm (data passed in the environment, never in macro text)."""
        return self.run("rpm", "--eval", "%{lua: " + code + "}", env=env)

    def db(self, dbpath: Path) -> List[str]:
        """The argv tail that points rpm at ``dbpath`` with the sqlite backend."""
        return ["--dbpath", str(dbpath), "--define", "_db_backend sqlite"]

    def install(self, dbpath: Path, rpms: Sequence[Path]) -> None:
        """A fresh database at ``dbpath`` with ``rpms`` installed one by one, in that order."""
        dbpath.mkdir(parents=True, exist_ok=True)
        self.run("rpm", "--initdb", *self.db(dbpath))
        for pkg in rpms:
            self.run("rpm", "-i", "--justdb", "--nodeps", "--noscripts", "--notriggers", "--oldpackage",
                     *self.db(dbpath), str(pkg))
        assert (dbpath / "rpmdb.sqlite").is_file(), sorted(os.listdir(dbpath))

    def qa(self, dbpath: Path) -> List[Tuple[str, Optional[int], str, str, str]]:
        """``rpm -qa`` of the database, as (name, epoch, version, release, arch), sorted."""
        rows = []
        for line in self.run("rpm", "-qa", *self.db(dbpath), "--qf", QF).splitlines():
            name, epoch, version, release, arch = line.split(" ")
            rows.append((name, None if epoch == "(none)" else int(epoch), version, release, arch))
        return sorted(rows, key=repr)


@pytest.fixture(scope="module")
def rpm(tmp_path_factory) -> Rpm:
    """The oracle, with rpmbuild's output for every package in BUILT already made."""
    home = tmp_path_factory.mktemp("rpmhome")
    tool = Rpm(home)
    specs = []
    for i, (name, epoch, version, release) in enumerate(BUILT):
        spec = home / f"p{i}.spec"
        spec.write_text(
            f"Name: {name}\n" + (f"Epoch: {epoch}\n" if epoch is not None else "")
            + f"Version: {version}\nRelease: {release}\nSummary: test\nLicense: GPL-2.0-or-later\n"
            "BuildArch: noarch\n%description\ntest\n%files\n"
        )
        specs.append(str(spec))
    tool.run("rpmbuild", "-bb", "--quiet", "--define", f"_topdir {home / 'build'}", *specs)
    tool.version = tool.run("rpm", "--version").strip()
    return tool


def built(rpm: Rpm, name: str, version: str, release: str) -> Path:
    """The .rpm file rpmbuild made for that package."""
    path = rpm.home / "build" / "RPMS" / "noarch" / f"{name}-{version}-{release}.noarch.rpm"
    assert path.is_file(), path
    return path


def as_packages(rows) -> Dict[str, List[RpmPackage]]:
    """rpm -qa rows grouped by name."""
    out: Dict[str, List[RpmPackage]] = {}
    for row in rows:
        out.setdefault(row[0], []).append(RpmPackage(*row))
    return out


def snapshot(root: Path) -> Tuple[Dict[str, str], Dict[str, int]]:
    """Contents and mtimes of every file below root: reading must change neither."""
    mtimes = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            full = os.path.join(dirpath, name)
            mtimes[os.path.relpath(full, root)] = os.lstat(full).st_mtime_ns
    return tree_hash(root, exclude=()), mtimes


# -- databases written by the real rpm ----------------------------------------------


def test_reads_a_package_rpm_installed(rpm: Rpm, tmp_path: Path) -> None:
    """rpm -i --justdb into a tree, then installed() on a Host there gives exactly that EVR."""
    dbpath = tmp_path / "var/lib/rpm"
    rpm.install(dbpath, [built(rpm, "kexec-tools", "2.0.26", "8.el9")])
    assert (dbpath / "rpmdb.sqlite").read_bytes()[:16] == b"SQLite format 3\0"
    assert rpm.qa(dbpath) == [("kexec-tools", None, "2.0.26", "8.el9", "noarch")]
    before = snapshot(tmp_path)  # after rpm -qa: rpm itself leaves -wal/-shm behind
    host = Host(tmp_path)
    assert rpmdb.database_format(host) == "sqlite"
    got = rpmdb.installed(host, ["kexec-tools", "kdump-utils"])
    assert got == {"kexec-tools": RpmPackage("kexec-tools", None, "2.0.26", "8.el9", "noarch")}
    assert got["kexec-tools"].nevra == "kexec-tools-2.0.26-8.el9.noarch"
    assert snapshot(tmp_path) == before


def test_several_packages_with_an_epoch(rpm: Rpm, tmp_path: Path) -> None:
    """Only the names asked for come back, each as rpm -qa reports it (epoch included)."""
    dbpath = tmp_path / "var/lib/rpm"
    rpm.install(dbpath, [built(rpm, "bash", "5.2.26", "6.el10"),
                         built(rpm, "kdump-utils", "1.0.51", "11.el10_0"),
                         built(rpm, "kexec-tools", "2.0.29", "2.el10")])
    oracle = as_packages(rpm.qa(dbpath))
    got = rpmdb.installed(Host(tmp_path), ("kdump-utils", "kexec-tools", "makedumpfile"))
    assert got == {"kdump-utils": oracle["kdump-utils"][0], "kexec-tools": oracle["kexec-tools"][0]}
    assert got["kdump-utils"].evr == (1, "1.0.51", "11.el10_0")
    assert rpmdb.installed(Host(tmp_path), "bash") == {"bash": oracle["bash"][0]}


def test_newest_of_two_installed_versions(rpm: Rpm, tmp_path: Path) -> None:
    """Two versions of a name: the newest by rpm's order, not the last installed nor the larger string."""
    dbpath = tmp_path / "var/lib/rpm"
    rpm.install(dbpath, [built(rpm, "kexec-tools", "2.0.26", "10.el9"),
                         built(rpm, "kexec-tools", "2.0.26", "8.el9"),
                         built(rpm, "kdump-utils", "1.0.51", "11.el10_0"),
                         built(rpm, "kdump-utils", "1.0.53", "1.el10")])
    oracle = as_packages(rpm.qa(dbpath))
    assert [len(v) for v in oracle.values()] == [2, 2], oracle
    newest = {}
    for name, pkgs in oracle.items():
        a, b = pkgs
        newest[name] = a if rpm_evr_cmp(rpm, [(a.evr, b.evr)]) == [1] else b
    assert newest["kexec-tools"].release == "10.el9" and newest["kdump-utils"].epoch == 1
    assert rpmdb.installed(Host(tmp_path), ["kexec-tools", "kdump-utils"]) == newest


def test_fedora_layout_through_an_absolute_symlink(rpm: Rpm, tmp_path: Path) -> None:
    """Fedora >= 36: the db in /usr/lib/sysimage/rpm, /var/lib/rpm a link to it, resolved inside the root."""
    dbpath = tmp_path / "usr/lib/sysimage/rpm"
    rpm.install(dbpath, [built(rpm, "kexec-tools", "2.0.29", "2.el10")])
    (tmp_path / "var/lib").mkdir(parents=True)
    (tmp_path / "var/lib/rpm").symlink_to("/usr/lib/sysimage/rpm")
    got = rpmdb.installed(Host(tmp_path), ["kexec-tools"])
    assert got["kexec-tools"].evr == (None, "2.0.29", "2.el10")
    # Only the link left: it must still point into the tree, not at this machine's /usr.
    moved = tmp_path / "elsewhere"
    dbpath.rename(moved)
    (tmp_path / "usr/lib/sysimage/rpm").symlink_to("../../../elsewhere")
    assert rpmdb.installed(Host(tmp_path), ["kexec-tools"]) == got


# -- databases written by the fixture writer, read by the real rpm ----------------------------


FIXTURE_PACKAGES = [
    ("kexec-tools", None, "2.0.26", "8.el9", "x86_64"),
    ("kdump-utils", 1, "1.0.51", "11.el10_0", "aarch64"),
    ("kexec-tools", 0, "2.0.26", "10.el9", "x86_64"),
    ("makedumpfile", 2, "1.7.5", "12.el10", "ppc64le"),
    ("grubby", None, "8.40", "81.el10", "noarch"),
]


def test_fixture_databases_are_read_by_real_rpm(rpm: Rpm, tmp_path: Path) -> None:
    """What write_rpmdb writes, rpm -qa reads with the same EVRs, and rpm -q finds by name."""
    db = tmp_path / "var/lib/rpm/rpmdb.sqlite"
    write_rpmdb(db, FIXTURE_PACKAGES)
    assert sorted(os.listdir(db.parent)) == ["rpmdb.sqlite"]
    got = rpmdb.installed(Host(tmp_path), ["kexec-tools", "kdump-utils", "makedumpfile", "grubby"])
    assert rpm.qa(db.parent) == sorted(FIXTURE_PACKAGES, key=repr)
    # The Name index is right too: rpm -q looks names up there, not in Packages.
    found = rpm.run("rpm", "-q", *rpm.db(db.parent), "kdump-utils", "grubby").split()
    assert found == ["kdump-utils-1.0.51-11.el10_0.aarch64", "grubby-8.40-81.el10.noarch"]
    assert {p.name: p.evr for p in got.values()} == {
        "kexec-tools": (0, "2.0.26", "10.el9"), "kdump-utils": (1, "1.0.51", "11.el10_0"),
        "makedumpfile": (2, "1.7.5", "12.el10"), "grubby": (None, "8.40", "81.el10")}


def test_entries_after_the_region_override_as_in_rpm(rpm: Rpm, tmp_path: Path) -> None:
    """A tag repeated outside the immutable region: the reader takes the copy rpm takes."""
    base = [(TAG_NAME, TYPE_STRING, "kexec-tools"), (TAG_VERSION, TYPE_STRING, "2.0.26"),
            (TAG_RELEASE, TYPE_STRING, "8.el9"), (TAG_EPOCH, TYPE_INT32, 1), (TAG_ARCH, TYPE_STRING, "x86_64"),
            (TAG_SOURCERPM, TYPE_STRING, "kexec-tools-2.0.26-8.el9.src.rpm")]
    blob = encode_header(base, dribble=[(TAG_VERSION, TYPE_STRING, "2.0.29"), (TAG_EPOCH, TYPE_INT32, 2)])
    write_blobs(tmp_path / "var/lib/rpm/rpmdb.sqlite", [blob], ["kexec-tools"])
    got = rpmdb.installed(Host(tmp_path), ["kexec-tools"])
    assert rpm.qa(tmp_path / "var/lib/rpm") == [("kexec-tools", 2, "2.0.29", "8.el9", "x86_64")]
    assert got == {"kexec-tools": RpmPackage("kexec-tools", 2, "2.0.29", "8.el9", "x86_64")}


def test_fixture_writer_matches_rpm_s_own_schema(rpm: Rpm, tmp_path: Path) -> None:
    """Same tables and indexes as rpm --initdb creates, so rpm finds every index it opens."""
    rpm.install(tmp_path / "real", [])
    write_rpmdb(tmp_path / "ours/rpmdb.sqlite", [])

    def tables(path: Path) -> List[str]:
        with sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True) as conn:
            return [s for (s,) in conn.execute(
                "SELECT sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name")]

    assert tables(tmp_path / "ours/rpmdb.sqlite") == tables(tmp_path / "real/rpmdb.sqlite")


# -- version ordering against rpm -------------------------------------------------------


TRICKY = [
    ("1.0.51", "1.0.53"), ("2.0.26", "2.0.26"), ("8.el9", "10.el9"), ("1.0~rc1", "1.0"),
    ("1.0~rc1", "1.0~rc2"), ("1.0~~", "1.0~"), ("1.0^git1", "1.0"), ("1.0^git1", "1.0.1"),
    ("1.0^git1", "1.0^git2"), ("1.0^", "1.0"), ("1.0~rc1^git1", "1.0~rc1"), ("1.01", "1.1"),
    ("1.001", "1.1"), ("1.0a", "1.0.1"), ("1.0a", "1.0"), ("a", "1"), ("el9_4", "el9_10"),
    ("11.el10_0", "11.el10"), ("1.0", "1_0"), ("1.0", "1.0."), ("1..0", "1.0"), ("2.0.26", "2.0.26.0"),
    ("abc", "abd"), ("B", "a"), ("1.0", "1.0+1"), ("10", "9"), ("0000", "0"),
    ("99999999999999999999999", "99999999999999999999998"), ("1é0", "1.0"), ("fc38", "el9"),
    ("1.0.51", "1.0.51a"), ("alpha", "beta"), ("1.2.3", "1.2.3~"), ("~", "^"), ("1~", "1^"),
    # Only ASCII counts as digits or letters: rpm treats these as separators.
    ("1.\u0663", "1.0"), ("1\u00b2", "1"), ("\u00e9a", "a"), ("1.\u00ba", "1.a"),
]


def random_versions(seed: int, n: int) -> List[Tuple[str, str]]:
    """Seeded random version pairs built from the pieces rpmvercmp treats specially."""
    pieces = ["0", "1", "2", "9", "10", "01", "007", "a", "b", "Z", "rc", "git", "el", ".", "_", "+", "~",
              "^", "é", "\u0663", "\u00b2", "\u00ba"]
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        a = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 6)))
        # Half the pairs share a prefix, where the interesting decisions are.
        b = (a[: rng.randint(0, len(a))] if rng.random() < 0.5 else "") + "".join(
            rng.choice(pieces) for _ in range(rng.randint(1, 4)))
        out.append((a, b))
    return out


def rpm_vercmp(rpm: Rpm, pairs: Sequence[Tuple[str, str]]) -> List[int]:
    """rpm's answers for version pairs (rpm.vercmp on strings without '-' or ':' is rpmvercmp)."""
    for a, b in pairs:
        assert not set(a + b) & set("-:\t\n%"), (a, b)
    data = "".join(f"{a}\t{b}\n" for a, b in pairs)
    out = rpm.lua('local o = {} for a, b in os.getenv("PAIRS"):gmatch("([^\\t\\n]*)\\t([^\\n]*)\\n") do '
                  'o[#o + 1] = rpm.vercmp(a, b) end print(table.concat(o, " "))', {"PAIRS": data})
    return [int(x) for x in out.split()]


def evr_text(evr) -> str:
    """An EVR as rpm.ver parses it: [E:]V[-R]."""
    epoch, version, release = evr
    return (f"{epoch}:" if epoch is not None else "") + version + (f"-{release}" if release else "")


def rpm_evr_cmp(rpm: Rpm, pairs) -> List[int]:
    """rpm's answers for EVR pairs, through rpm.ver objects (rpmverCmp)."""
    data = "".join(f"{evr_text(a)}\t{evr_text(b)}\n" for a, b in pairs)
    out = rpm.lua('local o = {} for a, b in os.getenv("PAIRS"):gmatch("([^\\t\\n]*)\\t([^\\n]*)\\n") do '
                  'local x, y = rpm.ver(a), rpm.ver(b) '
                  'o[#o + 1] = (x < y) and -1 or ((x == y) and 0 or 1) end print(table.concat(o, " "))',
                  {"PAIRS": data})
    return [int(x) for x in out.split()]


def test_vercmp_agrees_with_rpm(rpm: Rpm) -> None:
    """Every tricky pair and 600 random ones, in both orders, compared with rpm's own answer."""
    pairs = TRICKY + random_versions(20240, 600)
    pairs += [(b, a) for a, b in pairs]
    want = rpm_vercmp(rpm, pairs)
    assert len(want) == len(pairs)
    wrong = [(a, b, rpmdb.vercmp(a, b), w) for (a, b), w in zip(pairs, want) if rpmdb.vercmp(a, b) != w]
    assert wrong == [], f"(a, b, ours, {rpm.version}): {wrong[:20]}"
    # The oracle is not a constant: the tricky table alone needs all three answers.
    assert set(want[: len(TRICKY)]) == {-1, 0, 1}


def test_evr_cmp_agrees_with_rpm(rpm: Rpm) -> None:
    """Epoch over version over release, a missing epoch is 0, a missing release the oldest."""
    evrs = [
        (None, "1.0.51", "11.el10_0"), (0, "1.0.51", "11.el10_0"), (1, "1.0.51", "11.el10_0"),
        (None, "1.0.53", "1.el10"), (None, "2.0.26", "8.el9"), (None, "2.0.26", "10.el9"),
        (None, "2.0.26", None), (None, "2.0.26", "0"), (2, "0.1", "1"), (None, "2.0.26~rc1", "1.el9"), (None, "2.0.26^1", "1"),
        (10, "1", "1"), (9, "1", "1"), (None, "2.0.26", "8.el9_4"), (None, "2.0.26", "8.el9_10"),
    ]
    pairs = [(a, b) for a in evrs for b in evrs]
    want = rpm_evr_cmp(rpm, pairs)
    wrong = [(a, b, rpmdb.evr_cmp(a, b), w) for (a, b), w in zip(pairs, want) if rpmdb.evr_cmp(a, b) != w]
    assert len(want) == len(pairs) and wrong == [], wrong[:20]


# -- malformed and missing databases --------------------------------------------------------


def valid_blob(name: str = "kexec-tools") -> bytes:
    """A well-formed header with an epoch, the base of the corruptions below."""
    return package_header(name, 3, "2.0.26", "8.el9", "x86_64")


def corrupt(blob: bytes, entry: Optional[int] = None, field: int = 0, value: int = 0,
            il: Optional[int] = None, dl: Optional[int] = None) -> bytes:
    """``blob`` with one index field (0 tag, 1 type, 2 offset, 3 count) of one entry, or il/dl, replaced."""
    out = bytearray(blob)
    if il is not None:
        struct.pack_into(">I", out, 0, il & 0xFFFFFFFF)
    if dl is not None:
        struct.pack_into(">I", out, 4, dl & 0xFFFFFFFF)
    if entry is not None:
        struct.pack_into(">I", out, 8 + 16 * entry + 4 * field, value & 0xFFFFFFFF)
    return bytes(out)


def entry_of(blob: bytes, tag: int) -> int:
    """Index position of ``tag`` in a header blob."""
    il = struct.unpack_from(">I", blob)[0]
    for i in range(il):
        if struct.unpack_from(">I", blob, 8 + 16 * i)[0] == tag:
            return i
    raise AssertionError(tag)


def malformed_blobs() -> Dict[str, object]:
    """Named broken rows: each must be skipped, none may raise."""
    good = valid_blob()
    dl = struct.unpack_from(">I", good, 4)[0]
    name, epoch = entry_of(good, TAG_NAME), entry_of(good, TAG_EPOCH)
    cases: Dict[str, object] = {f"truncated to {n}": good[:n] for n in range(len(good))}
    cases.update({
        "il 0": corrupt(good, il=0),
        "il 0xffff on a short blob": corrupt(good, il=0xFFFF),
        "il 0x10000 (over rpm's limit)": corrupt(good, il=0x10000),
        "il 0x7fffffff": corrupt(good, il=0x7FFFFFFF),
        "il -1": corrupt(good, il=-1),
        "dl -1": corrupt(good, dl=-1),
        "dl past the blob": corrupt(good, dl=dl + 1),
        "name offset at dl": corrupt(good, name, 2, dl),
        "name offset far out": corrupt(good, name, 2, 0x7FFFFFFF),
        "name offset -1": corrupt(good, name, 2, -1),
        "name offset in the last byte, unterminated": corrupt(good, name, 2, dl - 1),
        "name typed INT32": corrupt(good, name, 1, TYPE_INT32),
        "epoch typed STRING": corrupt(good, epoch, 1, TYPE_STRING),
        "epoch offset dl-3": corrupt(good, epoch, 2, dl - 3),
        "epoch offset -4": corrupt(good, epoch, 2, -4),
        "epoch count 0": corrupt(good, epoch, 3, 0),
        "no name": encode_header([(TAG_VERSION, TYPE_STRING, "1"), (TAG_RELEASE, TYPE_STRING, "1")]),
        "empty version": encode_header([(TAG_NAME, TYPE_STRING, "kexec-tools"), (TAG_VERSION, TYPE_STRING, ""),
                                        (TAG_RELEASE, TYPE_STRING, "1")]),
        "name not UTF-8": good.replace(b"kexec-tools\0", b"kexec-tool\xff\0"),
        "name unterminated at the end of the data": unterminated_name(),
        "empty blob": b"",
        "text instead of a blob": "kexec-tools-2.0.26",
        "an integer": 7,
        "the 8-byte magic still in front": b"\x8e\xad\xe8\x01\0\0\0\0" + good,
    })
    return cases


def unterminated_name() -> bytes:
    """A header whose NAME is the last thing in the data and lacks its NUL."""
    data = b"2.0.26\0" + b"8.el9\0" + b"kexec-tools"
    index = [(TAG_NAME, TYPE_STRING, 13, 1), (TAG_VERSION, TYPE_STRING, 0, 1), (TAG_RELEASE, TYPE_STRING, 7, 1)]
    return struct.pack(">II", 3, len(data)) + b"".join(struct.pack(">IIII", *e) for e in index) + data


def test_malformed_rows_are_skipped_one_by_one(tmp_path: Path) -> None:
    """Each broken row is skipped; the good row among them is still found."""
    cases = malformed_blobs()
    for label, blob in cases.items():
        assert rpmdb.parse_header(blob) is None, label
    good = package_header("kdump-utils", None, "1.0.51", "11.el10_0", "x86_64")
    blobs = list(cases.values())
    write_blobs(tmp_path / "var/lib/rpm/rpmdb.sqlite", blobs[:50] + [good] + blobs[50:])
    assert rpmdb.installed(Host(tmp_path), ["kexec-tools", "kdump-utils"]) == {
        "kdump-utils": RpmPackage("kdump-utils", None, "1.0.51", "11.el10_0", "x86_64")}


def test_fuzzed_headers_never_raise(tmp_path: Path) -> None:
    """Thousands of random corruptions of a good header: a package or None, never an exception."""
    good = valid_blob()
    rng = random.Random(7)
    blobs: List[bytes] = []
    for _ in range(3000):
        out = bytearray(good)
        for _ in range(rng.randint(1, 4)):
            if rng.random() < 0.5:
                out[rng.randrange(len(out))] = rng.randrange(256)
            else:
                pos = rng.randrange(0, len(out) - 3)
                struct.pack_into(">I", out, pos, rng.choice([0, 1, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF,
                                                              rng.getrandbits(32), len(out)]))
        blobs.append(bytes(out))
    parsed = [rpmdb.parse_header(b) for b in blobs]
    assert all(p is None or isinstance(p, RpmPackage) for p in parsed)
    assert any(p is None for p in parsed) and any(p is not None for p in parsed)
    write_blobs(tmp_path / "var/lib/rpm/rpmdb.sqlite", blobs)
    assert isinstance(rpmdb.installed(Host(tmp_path), ["kexec-tools"]), dict)


def test_missing_or_unreadable_databases_give_nothing(tmp_path: Path) -> None:
    """No database, an empty or garbage file, a directory, no Packages table, a link loop: {}."""
    cases = {
        "none": lambda d: None,
        "empty file": lambda d: (d / "rpmdb.sqlite").write_bytes(b""),
        "garbage": lambda d: (d / "rpmdb.sqlite").write_bytes(b"SQLite format 3\0" + b"\xff" * 4000),
        "directory": lambda d: (d / "rpmdb.sqlite").mkdir(),
        "no Packages table": lambda d: sqlite3.connect(str(d / "rpmdb.sqlite")).execute("CREATE TABLE t(x)"),
        "link loop": lambda d: (d / "rpmdb.sqlite").symlink_to("rpmdb.sqlite"),
    }
    for label, make in cases.items():
        root = tmp_path / label.replace(" ", "_")
        (root / "var/lib/rpm").mkdir(parents=True)
        make(root / "var/lib/rpm")
        assert rpmdb.installed(Host(root), ["kexec-tools"]) == {}, label


def test_berkeley_db_and_ndb_are_named_not_read(tmp_path: Path) -> None:
    """RHEL 8's Packages and SUSE's Packages.db: {} from installed, the format from database_format."""
    rhel8 = tmp_path / "rhel8"
    (rhel8 / "var/lib/rpm").mkdir(parents=True)
    (rhel8 / "var/lib/rpm/Packages").write_bytes(b"\0\0\0\0\x01\0\0\0\0\0\0\0\x61\x15\x06\0" + b"\0" * 4080)
    suse = tmp_path / "suse"
    (suse / "usr/lib/sysimage/rpm").mkdir(parents=True)
    (suse / "usr/lib/sysimage/rpm/Packages.db").write_bytes(b"RpmP" + b"\0" * 4092)
    assert rpmdb.database_format(Host(rhel8)) == "bdb"
    assert rpmdb.database_format(Host(suse)) == "ndb"
    assert rpmdb.database_format(Host(tmp_path)) is None
    for root in (rhel8, suse):
        assert rpmdb.installed(Host(root), ["kexec-tools"]) == {}


def test_a_database_with_a_pending_write_ahead_log_is_not_trusted(tmp_path: Path) -> None:
    """immutable=1 ignores the -wal; while it holds transactions the answer would be stale, so {}."""
    db = tmp_path / "var/lib/rpm/rpmdb.sqlite"
    write_rpmdb(db, [("kexec-tools", None, "2.0.26", "8.el9", "x86_64")])
    host = Host(tmp_path)
    assert rpmdb.installed(host, ["kexec-tools"])["kexec-tools"].version == "2.0.26"
    writer = sqlite3.connect(str(db))  # rpm in the middle of an upgrade
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("DELETE FROM Packages")
    writer.execute("INSERT INTO Packages (blob) VALUES (?)",
                   (package_header("kexec-tools", None, "2.0.29", "2.el10", "x86_64"),))
    writer.commit()
    assert (tmp_path / "var/lib/rpm/rpmdb.sqlite-wal").stat().st_size > 0
    assert rpmdb.installed(host, ["kexec-tools"]) == {}
    writer.close()  # a clean close checkpoints the log into the file, as rpm's does
    assert rpmdb.installed(host, ["kexec-tools"])["kexec-tools"].version == "2.0.29"


# -- reading writes nothing --------------------------------------------------------------


def test_reading_writes_nothing_even_where_sqlite_would(tmp_path: Path) -> None:
    """Hash and mtimes of the tree before/after; a root whose name needs URI quoting reads the same.

    The control shows the check can fail: a plain read-only open of the same
    WAL-mode file creates ``-shm`` and ``-wal`` beside it.
    """
    root = tmp_path / "odd ?name#%41%"
    db = root / "var/lib/rpm/rpmdb.sqlite"
    write_rpmdb(db, [("kexec-tools", None, "2.0.26", "8.el9", "x86_64")])
    before = snapshot(root)
    assert rpmdb.installed(Host(root), ["kexec-tools"])["kexec-tools"].release == "8.el9"
    assert rpmdb.installed(Host(root), ["nothing"]) == {}
    assert snapshot(root) == before
    control = root.parent / "control"
    shutil.copytree(root, control)
    with sqlite3.connect(f"file:{control / 'var/lib/rpm/rpmdb.sqlite'}?mode=ro", uri=True) as conn:
        conn.execute("SELECT count(*) FROM Packages").fetchall()
        assert sorted(os.listdir(control / "var/lib/rpm")) != ["rpmdb.sqlite"]
