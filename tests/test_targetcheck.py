"""Testing the dump target before the reboot (engine/targetcheck.py, ``kdumpwiz test-target``).

Local targets are tested on fixture trees, with the real filesystem's numbers
(``df`` is the reference for free space) and, for read-only and full
filesystems, with real mounts inside a private mount namespace. SSH targets
are tested against a real ``sshd`` that this module starts on 127.0.0.1 with
its own host key and configuration; the client side runs ``kdumpwiz
test-target`` on this machine in a mount namespace whose ``/etc/passwd``
gives root a temporary home, so root's real ``~/.ssh`` is never read or
written. NFS is tested through its probe with the mount step replaced (no NFS
server here); docs/reliability.md says so under its known limitations.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

import pytest

from kdumpwiz.engine import nfsprobe, targetcheck
from kdumpwiz.engine.answers import Answers, Target
from kdumpwiz.engine.detect import detect
from kdumpwiz.engine.host import RecordingRunner, Host

GIB = 1 << 30
MIB = 1 << 20
REPO = Path(__file__).resolve().parent.parent


def run_cli(args: List[str], *, namespace: str = "", answers: str = "", tmp: Path) -> subprocess.CompletedProcess:
    """``python -m kdumpwiz ARGS`` (optionally after shell commands in a private mount namespace)."""
    argv = [sys.executable, "-m", "kdumpwiz"] + args
    if answers:
        path = tmp / "answers.yaml"
        path.write_text(answers)
        argv += ["--answers", str(path)]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    if namespace:
        script = namespace + ' && exec "$@"'
        argv = ["unshare", "--mount", "--propagation", "private", "sh", "-ec", script, "sh"] + argv
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, check=False)


def write_meminfo(root: Path, **kib: int) -> None:
    (root / "proc/meminfo").write_text("".join(f"{k}: {v:>12} kB\n" for k, v in kib.items()))


def checks(report) -> Dict[str, str]:
    return {c.name: c.status for c in report.checks}


# -- the dump size estimate -------------------------------------------------------------


def test_estimate_follows_the_dump_level(make_system):
    """What each dump-level bit leaves out comes off the RAM; zero pages and shared memory stay."""
    host = make_system("debian12-amd64")
    write_meminfo(host.root, MemTotal=8_000_000, MemFree=5_000_000, Buffers=100_000, Cached=1_500_000,
                  Shmem=200_000, AnonPages=600_000)
    facts = detect(host)
    ram = facts.memory.system_ram_bytes - facts.kexec.crash_size  # the reservation is never dumped
    assert facts.kexec.crash_size > 0
    k = 1024
    assert targetcheck.estimate_dump(host, facts, 31).bytes == ram - 5_000_000 * k - 1_400_000 * k - 600_000 * k
    assert targetcheck.estimate_dump(host, facts, 17).bytes == ram - 5_000_000 * k        # zero + free pages
    assert targetcheck.estimate_dump(host, facts, 8).bytes == ram - 600_000 * k           # user pages only
    assert targetcheck.estimate_dump(host, facts, 1).bytes == ram                         # only zero pages: all
    assert targetcheck.estimate_dump(host, facts, 0).bytes == ram


def test_estimate_has_a_floor_and_needs_memory_use(make_system):
    host = make_system("debian12-amd64")
    facts = detect(host)
    write_meminfo(host.root, MemTotal=8_000_000, MemFree=(facts.memory.system_ram_bytes - facts.kexec.crash_size)
                  // 1024 - 1000, AnonPages=0)
    assert targetcheck.estimate_dump(host, facts, 31).bytes == 64 * MIB
    (host.root / "proc/meminfo").unlink()
    est = targetcheck.estimate_dump(host, detect(host), 31)
    assert est.bytes is None and "at most the RAM" in est.basis


# -- local ------------------------------------------------------------------------------


def df_avail(path: Path) -> int:
    out = subprocess.run(["df", "-B1", "--output=avail", str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[-1])


def test_free_space_is_what_df_shows(make_system):
    """f_bavail, as df's Avail (detect used to report f_bfree, which counts root's reserved blocks)."""
    host = make_system("debian12-amd64")
    free = host.free_bytes("/var/crash")
    assert abs(free - df_avail(host.root / "var/crash")) < 64 * MIB
    st = os.statvfs(host.root / "var/crash")
    assert free == st.f_bavail * st.f_frsize or abs(free - st.f_bavail * st.f_frsize) < 64 * MIB


def test_existing_local_directory_passes(make_system):
    host = make_system("debian12-amd64")
    report = targetcheck.test_target(host, detect(host), Answers().validate())
    assert checks(report) == {"directory": "ok", "writable": "ok", "space": "ok"}
    assert report.ok and report.status == "ok"
    assert abs(report.free_bytes - df_avail(host.root / "var/crash")) < 64 * MIB


def test_missing_directory_depends_on_the_family(make_system):
    """kdump-tools creates a missing directory when it saves; RHEL's mkdumprd refuses to build without it."""
    answers = Answers(target=Target(path="/srv/dumps/new")).validate()
    deb = make_system("debian12-amd64")
    report = targetcheck.test_target(deb, detect(deb), answers)
    assert checks(report)["directory"] == "ok" and "creates it" in report.checks[0].detail
    rh = make_system("rhel9-x86_64")
    report = targetcheck.test_target(rh, detect(rh), answers)
    assert checks(report)["directory"] == "fail" and not report.ok
    assert report.checks[0].remedy == "mkdir -p /srv/dumps/new"


def test_a_file_in_the_way_fails(make_system):
    host = make_system("debian12-amd64")
    (host.root / "srv").mkdir(exist_ok=True)
    (host.root / "srv/dumps").write_text("not a directory\n")
    for path in ("/srv/dumps", "/srv/dumps/sub"):
        report = targetcheck.test_target(host, detect(host), Answers(target=Target(path=path)).validate())
        assert checks(report) == {"directory": "fail"}, path


def test_read_only_filesystem_fails_through_the_cli(make_system, tmp_path):
    """A real read-only bind mount (private namespace): the check fails and the CLI exits 1."""
    host = make_system("debian12-amd64")
    crash = host.root / "var/crash"
    proc = run_cli(["--root", str(host.root), "test-target", "--json"], tmp=tmp_path,
                   namespace=f"mount --bind -o ro {crash} {crash}")
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    status = {c["name"]: (c["status"], c["detail"]) for c in data["checks"]}
    assert status["writable"][0] == "fail" and "read-only" in status["writable"][1]
    assert data["ok"] is False


def test_full_and_small_filesystems(make_system, tmp_path):
    """A 16 MiB filesystem cannot hold the estimate (fail); one between the estimate and the RAM warns."""
    host = make_system("debian12-amd64")
    write_meminfo(host.root, MemTotal=8_000_000, MemFree=6_000_000, Buffers=0, Cached=500_000, Shmem=0,
                  AnonPages=500_000)  # estimate about 1 GiB of the fixture's 8 GiB
    crash = host.root / "var/crash"
    proc = run_cli(["--root", str(host.root), "test-target", "--json"], tmp=tmp_path,
                   namespace=f"mount -t tmpfs -o size=16m kdumpwiz-test {crash}")
    assert proc.returncode == 1, proc.stderr
    space = [c for c in json.loads(proc.stdout)["checks"] if c["name"] == "space"][0]
    assert space["status"] == "fail" and space["remedy"]
    proc = run_cli(["--root", str(host.root), "test-target"], tmp=tmp_path,
                   namespace=f"mount -t tmpfs -o size=3g kdumpwiz-test {crash}")
    assert proc.returncode == 0, proc.stderr
    assert "[WARN] space" in proc.stdout and "less than the RAM" in proc.stdout


def test_network_targets_are_not_tested_on_a_tree(make_system):
    host = make_system("debian12-amd64")
    for target in (Target(type="ssh", host="kdump@backup.example.com"), Target(type="nfs", host="srv:/export")):
        report = targetcheck.test_target(host, detect(host), Answers(target=target).validate())
        assert checks(report) == {"network": "skip"} and report.ok
    assert host.runner.calls == [] or all("ssh" not in c for c in host.runner.calls)


# -- raw ---------------------------------------------------------------------------------


def test_raw_device_checks(make_system):
    host = make_system("rhel9-x86_64")
    dev = host.root / "dev/vdb1"
    dev.parent.mkdir(exist_ok=True)
    answers = Answers(target=Target(type="raw", device="/dev/vdb1")).validate()
    assert checks(targetcheck.test_target(host, detect(host), answers)) == {"device": "fail"}
    dev.write_text("")
    assert checks(targetcheck.test_target(host, detect(host), answers)) == {"device": "fail"}
    dev.unlink()
    os.mknod(dev, stat.S_IFBLK | 0o600, os.makedev(252, 17))
    sysfs = host.root / "sys/class/block/vdb1"
    sysfs.mkdir(parents=True, exist_ok=True)
    (sysfs / "size").write_text(f"{64 * GIB // 512}\n")
    report = targetcheck.test_target(host, detect(host), answers)
    assert checks(report) == {"device": "ok", "not in use": "ok", "space": "ok"}, report.checks
    assert report.free_bytes == 64 * GIB
    mounts = host.root / "proc/mounts"
    mounts.write_text(mounts.read_text() + "/dev/vdb1 /data xfs rw,relatime 0 0\n")
    report = targetcheck.test_target(host, detect(host), answers)
    assert checks(report)["not in use"] == "fail" and "/data" in report.checks[1].detail


# -- nfs ---------------------------------------------------------------------------------


def test_nfs_probe_reports_mount_failure_and_looks_at_the_export(tmp_path, monkeypatch):
    """The probe's logic with the mount itself replaced: no NFS server is reachable here."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    calls: List[List[str]] = []

    def refused(argv):
        calls.append(argv)
        return subprocess.CompletedProcess(argv, 32, "", "mount.nfs: access denied by server while mounting\n")

    out = nfsprobe.probe("srv:/export", "/dumps", run=refused)
    assert out["mounted"] is False and "access denied" in out["error"]
    assert calls[0][:4] == ["mount", "-t", "nfs", "-o"] and calls[0][5] == "srv:/export"

    def mounted(argv):
        calls.append(argv)
        if argv[0] == "mount":
            os.makedirs(os.path.join(argv[-1], "dumps"))  # what the export holds
        return subprocess.CompletedProcess(argv, 0, "", "")

    out = nfsprobe.probe("srv:/export", "/dumps/host1", run=mounted)
    assert out["mounted"] is True and out["writable"] is True and out["at"] == "/dumps"
    assert out["free_bytes"] > 0 and calls[-1][:2] == ["umount", "-l"]
    assert not any(p.name.startswith("kdumpwiz-nfs-") and p.is_dir() and any(p.iterdir())
                   for p in tmp_path.iterdir() if p.name != "dumps")


def test_nfs_check_reads_the_probes_answer(make_system):
    host = Host("/", RecordingRunner())
    facts = detect(make_system("debian12-amd64"))
    est = targetcheck.DumpEstimate(GIB, "test", 8 * GIB)
    target = Target(type="nfs", host="srv:/export", path="/dumps").validate()
    host.runner.respond(["unshare"], 0, json.dumps({"mounted": True, "at": "/dumps", "writable": False,
                                                    "why": "permission denied for root (root_squash?)",
                                                    "free_bytes": 100 * GIB, "options": "soft"}) + "\n")
    got, free = targetcheck._check_nfs(host, target, est, None)
    assert [(c.name, c.status) for c in got] == [("mount", "ok"), ("writable", "fail"), ("space", "ok")]
    assert "no_root_squash" in got[1].remedy and free == 100 * GIB
    assert host.runner.calls[0][:4] == ("unshare", "--mount", "--propagation", "private")
    assert facts.family == "debian"


# -- ssh, against a real sshd on 127.0.0.1 ------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)


def _start_sshd(d: Path, *, sftp: bool):
    """A real sshd on 127.0.0.1 (own host key, own authorized_keys, root login by key only).

    It runs in its own mount namespace with a private /run (for its privilege
    separation directory) and a read-only bind of ``ro/`` for the unwritable case.
    Returns (process, directory).
    """
    sshd_bin = shutil.which("sshd") or "/usr/sbin/sshd"
    assert os.path.exists(sshd_bin), "openssh-server is a test dependency (README's test command installs it)"
    _keygen(d / "host_ed25519")
    _keygen(d / "client")
    _keygen(d / "wrong")
    (d / "authorized_keys").write_text((d / "client.pub").read_text())
    (d / "dumps").mkdir()
    (d / "ro").mkdir()
    port = _free_port()
    (d / "sshd_config").write_text(
        f"ListenAddress 127.0.0.1\nPort {port}\nHostKey {d}/host_ed25519\nAuthorizedKeysFile {d}/authorized_keys\n"
        "StrictModes no\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        "PermitRootLogin prohibit-password\nPidFile none\nLogLevel ERROR\n"
        + ("Subsystem sftp internal-sftp\n" if sftp else ""))
    script = (f'mount -t tmpfs kdumpwiz-sshd /run && mkdir -m 0755 /run/sshd && '
              f'mount --bind -o ro {d}/ro {d}/ro && exec {sshd_bin} -D -e -f {d}/sshd_config')
    proc = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-ec", script],
                            stdout=subprocess.DEVNULL, stderr=open(d / "sshd.log", "w"))
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("sshd did not start: " + (d / "sshd.log").read_text())
            time.sleep(0.1)
    # Root's view on the client side: a home with an ssh config (the alias and the
    # port, as an admin would write for a non-default port) and the known host key.
    home = d / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh/config").write_text(f"Host dumphost\n  HostName 127.0.0.1\n  Port {port}\n")
    hostkey = (d / "host_ed25519.pub").read_text().split()
    (home / ".ssh/known_hosts").write_text(f"[127.0.0.1]:{port} {hostkey[0]} {hostkey[1]}\n")
    passwd = "".join(f"root:x:0:0:root:{home}:/bin/sh\n" if line.startswith("root:") else line
                     for line in open("/etc/passwd"))
    (d / "passwd").write_text(passwd)
    return proc, d


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    """A dump server as a real one is set up (with the sftp subsystem)."""
    proc, d = _start_sshd(tmp_path_factory.mktemp("sshd"), sftp=True)
    yield d
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def sshd_without_sftp(tmp_path_factory):
    """A server whose sshd_config has no Subsystem sftp line."""
    proc, d = _start_sshd(tmp_path_factory.mktemp("sshd-nosftp"), sftp=False)
    yield d
    proc.terminate()
    proc.wait(10)


def ssh_test(sshd: Path, tmp_path: Path, *, path: str, key: str, host: str = "root@dumphost"):
    answers = f"target: {{type: ssh, host: {host}, path: {path}, key: {key}}}\n"
    proc = run_cli(["test-target", "--json"], tmp=tmp_path, answers=answers,
                   namespace=f"mount --bind {sshd}/passwd /etc/passwd")
    data = json.loads(proc.stdout) if proc.stdout.strip() else {}
    return proc, data, {c["name"]: c for c in data.get("checks", [])}


def test_ssh_target_logs_in_and_measures_the_remote_directory(sshd, tmp_path):
    proc, data, by = ssh_test(sshd, tmp_path, path=f"{sshd}/dumps", key=f"{sshd}/client")
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    assert [(n, c["status"]) for n, c in by.items()] == [("key", "ok"), ("login", "ok"), ("remote directory", "ok"),
                                                        ("scp", "ok"), ("space", "ok")]
    assert "exists and is writable" in by["remote directory"]["detail"]
    assert abs(data["free_bytes"] - df_avail(sshd / "dumps")) < 64 * MIB


def test_ssh_missing_remote_directory_is_created_by_the_dump_tool(sshd, tmp_path):
    proc, data, by = ssh_test(sshd, tmp_path, path=f"{sshd}/dumps/new/host1", key=f"{sshd}/client")
    assert proc.returncode == 0, proc.stdout
    assert by["remote directory"]["status"] == "ok" and f"in {sshd}/dumps" in by["remote directory"]["detail"]


def test_ssh_unwritable_remote_directory_fails(sshd, tmp_path):
    proc, data, by = ssh_test(sshd, tmp_path, path=f"{sshd}/ro/dumps", key=f"{sshd}/client")
    assert proc.returncode == 1
    assert by["login"]["status"] == "ok" and by["remote directory"]["status"] == "fail"
    assert "mkdir -p" in by["remote directory"]["remedy"]


def test_ssh_wrong_key_is_refused_and_says_how_to_propagate(sshd, tmp_path):
    proc, data, by = ssh_test(sshd, tmp_path, path=f"{sshd}/dumps", key=f"{sshd}/wrong")
    assert proc.returncode == 1
    assert by["login"]["status"] == "fail" and "refused the key" in by["login"]["detail"]
    assert "kdump-config propagate" in by["login"]["remedy"]  # this machine is Debian: kdump-tools' command


def test_ssh_unknown_host_key_fails_without_a_prompt(sshd, tmp_path):
    known = sshd / "home/.ssh/known_hosts"
    saved = known.read_text()
    known.write_text("")
    try:
        proc, data, by = ssh_test(sshd, tmp_path, path=f"{sshd}/dumps", key=f"{sshd}/client")
    finally:
        known.write_text(saved)
    assert proc.returncode == 1
    assert by["login"]["status"] == "fail" and "host key is not known" in by["login"]["detail"]


def test_ssh_missing_key_file_fails_before_connecting(sshd, tmp_path):
    proc, data, by = ssh_test(sshd, tmp_path, path=f"{sshd}/dumps", key=f"{sshd}/absent")
    assert proc.returncode == 1
    assert list(by) == ["key"] and by["key"]["status"] == "fail"


def test_ssh_argv_uses_only_the_key_and_never_prompts():
    argv = targetcheck.ssh_argv(Target(type="ssh", host="kdump@backup", path="/var/crash").validate(), "/k")
    assert argv[:5] == ["ssh", "-i", "/k", "-o", "IdentitiesOnly=yes"]
    for opt in ("BatchMode=yes", "IdentityAgent=none", "StrictHostKeyChecking=yes"):
        assert opt in argv
    assert argv[-3:-1] == ["kdump@backup", "--"] and "'/var/crash'" in argv[-1]


def test_test_target_changes_nothing(make_system, tmp_path):
    """Not a file, not a directory, not kdumpwiz's own state: the whole tree is byte-identical after the test."""
    from tests.conftest import tree_hash

    host = make_system("debian12-amd64")
    before = tree_hash(host.root, exclude=())
    for path in ("/var/crash", "/srv/new/dumps"):
        proc = run_cli(["--root", str(host.root), "test-target"], tmp=tmp_path,
                       answers=f"target: {{type: local, path: {path}}}\n")
        assert proc.returncode == 0, proc.stderr
    assert tree_hash(host.root, exclude=()) == before
    assert not (host.root / "srv/new").exists()


def test_ssh_server_without_sftp_warns_that_the_dmesg_copy_would_fail(sshd_without_sftp, tmp_path):
    """Seen in the e2e: OpenSSH 9's scp speaks SFTP, so kdump-tools' dmesg copy fails on such a server."""
    d = sshd_without_sftp
    proc, data, by = ssh_test(d, tmp_path, path=f"{d}/dumps", key=f"{d}/client")
    assert proc.returncode == 0, proc.stdout  # the dump itself still arrives through ssh | dd
    assert by["scp"]["status"] == "warn" and "Subsystem sftp" in by["scp"]["remedy"]
    assert data["status"] == "warn"
