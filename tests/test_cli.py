"""The command line: the JSON contract, exit codes, and nothing written on errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kdumpwiz import __version__
from kdumpwiz.cli import main
from tests.conftest import tree_hash
from tests.fixtures import systems

ROOT = Path(__file__).resolve().parent.parent


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _answers_file(tmp_path, text: str) -> Path:
    path = tmp_path / "answers.yaml"
    path.write_text(text)
    return path


@pytest.fixture
def debian(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    systems.build("debian12-amd64", root)
    return root


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert __version__ in capsys.readouterr().out


def test_detect_json_keys(capsys, debian):
    code, out, _ = run(capsys, "--root", str(debian), "detect", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["family"] == "debian" and data["distro"]["id"] == "debian" and data["distro"]["version"] == "12"
    assert data["arch"] == "x86_64" and data["boot"]["method"] == "grub-debian"
    assert data["memory"]["system_ram_bytes"] == systems.SYSTEMS["debian12-amd64"].system_ram_bytes
    assert data["blockers"] == []


def test_arch_override(capsys, debian):
    code, out, _ = run(capsys, "--root", str(debian), "--arch", "arm64", "detect", "--json")
    assert json.loads(out)["arch"] == "aarch64"


def test_plan_json_then_apply_then_plan_empty(capsys, debian, tmp_path):
    answers = tmp_path / "a.yaml"
    answers.write_text("crashkernel: 320M\ntarget: {type: local, path: /var/crash}\n")
    code, out, _ = run(capsys, "--root", str(debian), "plan", "--answers", str(answers), "--json")
    assert code == 0
    plan = json.loads(out)
    assert plan["crashkernel"] == "320M"
    paths = [f["path"] for f in plan["files"]]
    assert "/etc/default/grub.d/zz-kdumpwiz.cfg" in paths
    assert all(f["diff"].startswith(("--- ", "--- /dev/null")) for f in plan["files"])
    assert ["update-grub"] in plan["commands"]
    # --skip-commands: files written, commands listed, nothing run (no chroot needed).
    code, out, _ = run(capsys, "--root", str(debian), "apply", "--answers", str(answers), "--yes",
                       "--skip-commands", "--json")
    assert code == 0, out
    applied = json.loads(out)
    assert ["update-grub"] in applied["commands_skipped"]
    assert 'crashkernel=320M"' in (debian / "etc/default/grub.d/zz-kdumpwiz.cfg").read_text()
    code, out, _ = run(capsys, "--root", str(debian), "plan", "--answers", str(answers), "--json")
    assert json.loads(out)["files"] == []
    code, out, _ = run(capsys, "--root", str(debian), "rollback", "--yes", "--skip-commands", "--json")
    assert code == 0
    assert not (debian / "etc/default/grub.d/zz-kdumpwiz.cfg").exists()


@pytest.mark.parametrize(
    "answers, code, needle",
    [
        ("crashkernel: auto\ntarget: {type: ssh, host: '-oProxyCommand=sh'}\n", 3, "not user@host"),
        ("crashkernel: 0512M\n", 5, "not written by kdumpwiz"),
        ("crashkernel: 16G-:512M\n", 5, "zero bytes"),
        ("crashkernel: 16G\n", 5, "rejected silently"),
        ("crashkernel: 7G\n", 5, "too little memory"),
        ("crashkernel: auto\nbogus: 1\n", 3, "unknown key"),
        ("crashkernel: auto\ntarget: {type: raw, device: /dev/vdb}\n", 3, "not supported by the debian"),
    ],
)
def test_bad_input_changes_nothing(capsys, debian, tmp_path, answers, code, needle):
    path = tmp_path / "a.yaml"
    path.write_text(answers)
    before = tree_hash(debian)
    got, out, err = run(capsys, "--root", str(debian), "apply", "--answers", str(path), "--yes", "--json")
    assert got == code, (out, err)
    assert needle in json.loads(out)["error"]
    assert needle in err
    assert tree_hash(debian) == before


def test_apply_without_yes_and_without_tty_is_refused(capsys, debian, monkeypatch):
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    before = tree_hash(debian)
    code, _, err = run(capsys, "--root", str(debian), "apply")
    assert code != 0 and "--yes" in err
    assert tree_hash(debian) == before


def test_blocked_machine_exit_code(capsys, tmp_path):
    root = tmp_path / "c"
    root.mkdir()
    systems.build("container", root)
    code, out, err = run(capsys, "--root", str(root), "apply", "--yes", "--json")
    assert code == 6
    assert "container" in json.loads(out)["error"]


@pytest.mark.parametrize(
    "cmdline, ram, arch, reserved, error",
    [
        ("256M", "8G", "x86_64", 256 << 20, None),
        ("2G-4G:320M,4G-32G:512M,32G-64G:1024M,64G-128G:2048M,128G-:4096M", "1536M", "x86_64", 0,
         "crashkernel: invalid size"),
        ("BOOT_IMAGE=/vmlinuz root=/dev/sda1 crashkernel=256M xcrashkernel=1G", "8G", "x86_64", 1 << 30, None),
        ("512M,high", "8G", "ppc64le", 0, "rejected silently"),
        ("512M-2G:64M,2G-:128M", str((2 << 30) - (1 << 20)), "x86_64", 128 << 20, None),
    ],
)
def test_crashkernel_explain(capsys, cmdline, ram, arch, reserved, error):
    code, out, _ = run(capsys, "crashkernel", "explain", cmdline, "--ram", ram, "--arch", arch, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["reserved_bytes"] == reserved
    assert set(data) >= {"reserved_bytes", "low_bytes", "cma_bytes", "error"}
    if error is None:
        assert data["error"] is None
    else:
        assert error in data["error"]


def test_x86_high_gives_default_low(capsys):
    code, out, _ = run(capsys, "crashkernel", "explain", "512M,high", "--ram", "8G", "--json")
    data = json.loads(out)
    assert data["reserved_bytes"] == 512 << 20 and data["low_bytes"] == 256 << 20


def test_console_script_runs(tmp_path):
    """The installed entry point answers (a real process, real exit code)."""
    out = subprocess.run([sys.executable, "-m", "kdumpwiz", "crashkernel", "explain", "auto", "--ram", "8G"],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0
    assert "memory value expected" in out.stdout


def test_detect_on_this_machine_tells_the_truth(capsys):
    """kdumpwiz detect on the machine running the tests: read-only, compared with independent checks."""
    code, out, _ = run(capsys, "detect", "--json")
    data = json.loads(out)
    assert code == (6 if data["blockers"] else 0)
    kexec = os.path.exists("/sys/kernel/kexec_crash_loaded")
    codes = {b["code"] for b in data["blocker_details"]}
    assert ("no-kexec" in codes) == (not kexec)
    docker = os.path.exists("/.dockerenv")
    assert ("container" in codes) == (docker or data["container"] is not None)
    # No apply here, ever, not even one expected to be refused: the refusal of a kernel
    # without kexec is proven on a tree (test_bad_inputs.test_kernel_without_kexec_is_blocked),
    # and conftest's guard stops any engine write to '/' during the suite.


def test_demo_machine_is_kept_between_cli_calls(capsys, tmp_path, monkeypatch):
    """The README's first setup on the demo: apply, then 'rollback --list' sees that apply, the undo
    command names a folder that exists, and --demo-reset starts the machine over."""
    home = tmp_path / "state"
    monkeypatch.setenv("KDUMPWIZ_DEMO_DIR", str(home))
    code, out, err = run(capsys, "--demo", "apply", "--answers", str(_answers_file(tmp_path, "crashkernel: 768M\n")),
                         "--yes", "--json")
    assert code == 0 and "demo machine: " + str(home) in err
    applied = json.loads(out)
    assert applied["status"] == "applied" and (home / ".kdumpwiz-demo").exists()
    code, out, err = run(capsys, "--demo", "rollback", "--list", "--json")
    assert code == 0 and applied["id"] in out and "demo machine:" not in err  # said once, when created
    code, out, _ = run(capsys, "--demo", "plan", "--answers", str(_answers_file(tmp_path, "crashkernel: 768M\n")),
                       "--json")
    assert json.loads(out)["empty"] is True  # the same machine: nothing left to do
    code, out, err = run(capsys, "--demo-reset", "rollback", "--list", "--json")
    assert code == 0 and applied["id"] not in out and "demo machine: " in err


def test_demo_reset_never_removes_a_folder_that_is_not_the_demo(capsys, tmp_path, monkeypatch):
    """A KDUMPWIZ_DEMO_DIR pointing at someone's files: refused, nothing removed."""
    home = tmp_path / "mine"
    home.mkdir()
    (home / "notes.txt").write_text("keep me\n")
    monkeypatch.setenv("KDUMPWIZ_DEMO_DIR", str(home))
    code, _, err = run(capsys, "--demo-reset", "detect")
    assert code != 0 and "is not a kdumpwiz demo machine" in err
    assert (home / "notes.txt").read_text() == "keep me\n" and sorted(os.listdir(home)) == ["notes.txt"]


def test_two_processes_opening_the_demo_at_once_share_one_machine(tmp_path):
    """Built beside its place and renamed: two kdumpwiz starting together both get the whole machine."""
    env = dict(os.environ, KDUMPWIZ_DEMO_DIR=str(tmp_path / "demo"))
    procs = [subprocess.Popen([sys.executable, "-m", "kdumpwiz", "--demo", "detect", "--json"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert all(json.loads(o)["hostname"] == "demo-server" for o, _ in outs)
    assert sorted(os.listdir(tmp_path)) == ["demo"]  # no half-built sibling left behind


def test_skip_commands_before_or_after_the_subcommand(capsys, debian, tmp_path):
    """'kdumpwiz --skip-commands apply' holds commands back exactly like 'apply --skip-commands'."""
    answers = tmp_path / "a.yaml"
    answers.write_text("crashkernel: 320M\n")
    code, out, err = run(capsys, "--root", str(debian), "--skip-commands", "apply", "--answers", str(answers),
                         "--yes", "--json")
    assert code == 0, err
    assert json.loads(out)["commands_skipped"] == [["update-grub"]]


def test_skip_commands_where_it_means_nothing_is_an_error(capsys, debian):
    with pytest.raises(SystemExit) as exc:
        main(["--root", str(debian), "--skip-commands", "verify"])
    assert exc.value.code == 2
    assert "--skip-commands does not apply to 'verify'" in capsys.readouterr().err


def test_rollback_after_skip_commands_exits_0_and_runs_nothing(capsys, tmp_path):
    """The reported defect: after 'apply --skip-commands' rollback ran 'systemctl disable' (through chroot) for
    an enable that never ran, and exited 7. Now it runs nothing and names what was not applied."""
    root = tmp_path / "root"
    root.mkdir()
    systems.build("fedora41-x86_64", root)
    before = tree_hash(root)
    code, out, _ = run(capsys, "--root", str(root), "apply", "--yes", "--skip-commands", "--json")
    assert code == 0 and ["systemctl", "enable", "kdump.service"] in json.loads(out)["commands_skipped"]
    code, out, _ = run(capsys, "--root", str(root), "rollback", "--yes", "--json")
    data = json.loads(out)
    assert code == 0, out
    assert data["commands_run"] == [] and ["systemctl", "disable", "kdump.service"] in data["not_applied"]
    assert tree_hash(root) == before
    code, _, err = run(capsys, "--root", str(root), "rollback", "--yes")
    assert code == 7 and "no apply to roll back" in err


@pytest.mark.parametrize("command", ["detect", "plan"])
def test_a_closed_pipe_ends_quietly(command):
    """'kdumpwiz --demo detect | head -1' printed a BrokenPipeError traceback in about half the runs."""
    # The reader is gone before the first write (head -1 has exited): every write gets EPIPE, every time.
    r, w = os.pipe()
    os.close(r)
    proc = subprocess.Popen([sys.executable, "-m", "kdumpwiz", "--demo", command], stdout=w,
                            stderr=subprocess.PIPE, cwd=ROOT)
    os.close(w)
    assert proc.stderr is not None
    err = proc.stderr.read().decode()
    code = proc.wait(timeout=60)
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert code == 141, (code, err)


def test_an_empty_root_is_refused(capsys):
    code, _, err = run(capsys, "--root", "", "detect")
    assert code == 2 and "--root is empty" in err


def test_blocked_machine_every_blocker_with_its_remedy_and_status_6(capsys, tmp_path):
    """detect exits 6 on a blocked machine; plan names every blocker with its own remedy, not only the first."""
    root = tmp_path / "root"
    root.mkdir()
    systems.build("container", root)
    code, out, _ = run(capsys, "--root", str(root), "detect")
    assert code == 6 and out.count("BLOCKER") == 2
    code, _, err = run(capsys, "--root", str(root), "plan")
    assert code == 6
    assert "container (docker)" in err and "run kdumpwiz on the host" in err
    assert "no kexec/crash-dump support" in err and "CONFIG_KEXEC" in err


@pytest.mark.parametrize("argv", [
    ("--demo", "--json", "detect"),
    ("detect", "--demo", "--json"),
    ("--demo", "detect", "--json"),
    ("--json", "detect", "--demo"),
])
def test_global_options_either_side_of_the_subcommand(capsys, argv):
    code, out, _ = run(capsys, *argv)
    assert code == 0
    assert json.loads(out)["hostname"] == "demo-server"


def test_root_after_the_subcommand(capsys, make_system):
    host = make_system("debian12-amd64")
    code, out, _ = run(capsys, "detect", "--root", str(host.root), "--json")
    assert code == 0 and json.loads(out)["hostname"] == "bookworm-vm"


def test_negative_ram_is_explained_not_an_argparse_puzzle(capsys, make_system):
    host = make_system("debian12-amd64")
    code, _, err = run(capsys, "--root", str(host.root), "--ram", "-16G", "detect")
    assert code == 2 and "--ram '-16G': expected a size like 16G" in err


def test_json_where_there_is_none_is_refused(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--json", "test-crash"])
    assert exc.value.code == 2
    assert "--json does not apply to 'test-crash'" in capsys.readouterr().err


def test_version_is_answered_before_the_command_line_is_imported(capsys):
    """'kdumpwiz --version' is asked often by scripts: the launcher answers it without argparse or
    the CLI module (bench/speed measures the start-up), with exactly the CLI's own text."""
    code = ("import sys\nfrom kdumpwiz.launch import main\nrc = main(['--version'])\n"
            "print(sorted(m for m in ('argparse', 'json', 'kdumpwiz.cli') if m in sys.modules), rc)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    fast, modules = out.splitlines()
    assert modules == "[] 0"
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.strip() == fast


SUBCOMMANDS = ("detect", "plan", "apply", "verify", "rollback", "disable", "crashkernel", "install-packages", "test-target",
               "test-crash", "wizard")


def test_help_is_answered_from_the_grammar_alone():
    """'--help' (of the command and of each subcommand) needs only cli_parser: no engine, json, typing
    or the CLI's runner module; and its text is the one the full command line prints."""
    code = ("import sys, io, contextlib\nfrom kdumpwiz.launch import main\nbuf = io.StringIO()\n"
            "try:\n    with contextlib.redirect_stdout(buf):\n        main(sys.argv[1:])\nexcept SystemExit as e:\n"
            "    rc = e.code\nprint(sorted(m for m in ('json', 'typing', 'kdumpwiz.cli', 'kdumpwiz.engine', "
            "'kdumpwiz.engine.errors') if m in sys.modules), rc)\nprint(buf.getvalue(), end='')\n")
    for argv in (["--help"], ["plan", "-h"], ["--root", "/x", "apply", "--help"], ["crashkernel", "explain", "-h"]):
        res = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, cwd=ROOT,
                             check=True, env={**os.environ, "COLUMNS": "100"})
        first, _, text = res.stdout.partition("\n")
        assert first == "[] 0", (argv, first)
        full = subprocess.run([sys.executable, "-c", "import sys; from kdumpwiz.cli import main; main(sys.argv[1:])",
                               *argv], capture_output=True, text=True, cwd=ROOT, env={**os.environ, "COLUMNS": "100"})
        assert full.returncode == 0 and full.stdout == text, argv


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_every_subcommand_has_a_description_and_examples(name, capsys):
    with pytest.raises(SystemExit) as exc:
        main([name, "--help"])
    out = capsys.readouterr().out
    assert exc.value.code == 0
    usage, _, rest = out.partition("\n\n")
    description = rest.split("\n\n", 1)[0]
    assert usage.startswith(f"usage: kdumpwiz {name}") and len(description.split()) >= 6, out
    examples = out.split("examples:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert examples and all(e.strip().startswith("kdumpwiz") for e in examples), examples
    if name != "crashkernel":
        assert "exit status:" in out and "8  another kdumpwiz holds the lock" in out
    # Every option says what it does.
    options = out.split("options:\n", 1)[1].split("\n\n", 1)[0]
    bare = [ln.strip() for ln in options.splitlines() if ln.startswith("  -") and "  " not in ln.strip()
            and not ln.rstrip().endswith(",")]
    assert not bare, f"options without help in '{name} --help': {bare}"


def test_examples_in_the_help_parse():
    """Each example is a command line the parser accepts (a wrong flag in an example misleads)."""
    import shlex

    from kdumpwiz.cli_parser import HELP, build_parser, join_dash_values

    parser = build_parser()
    for _, examples in HELP.values():
        for example in examples:
            words = shlex.split(example.split("|")[0].split("&&")[0].split("#")[0])
            assert words[0] == "kdumpwiz"
            parser.parse_args(join_dash_values(words[1:]))
