"""The one door: ``kdumpwiz`` command-line parsing and the scriptable subcommands.

Subcommands print plain text for people or, with ``--json``, one JSON document
for automation. Errors become one clear message on stderr (and a JSON
``{"error": ...}`` with ``--json``) and a distinct exit code per kind of error
(see :mod:`kdumpwiz.engine.errors`). Textual is imported only when the wizard
starts, so scripted runs stay fast and work without a terminal.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence

from . import __version__
from .engine.errors import KdumpwizError

if TYPE_CHECKING:  # pragma: no cover
    from .engine.answers import Answers
    from .engine.facts import Facts
    from .engine.host import Host

# The engine (YAML, dataclasses, the host layer) is imported by the subcommands
# that use it, so `kdumpwiz --version` and `--help` start as fast as argparse
# does (bench/speed).

EXIT_OK = 0
EXIT_NOT_ARMED = 1
#: test-target: a check failed (the capture kernel could not save a dump there).
EXIT_TARGET_FAILED = 1
EXIT_ERROR = 2
#: detect and the wizard on a machine where kdump cannot be set up (BlockedError's code too).
EXIT_BLOCKED = 6


def build_parser() -> argparse.ArgumentParser:
    """The argparse tree of every subcommand."""
    p = argparse.ArgumentParser(
        prog="kdumpwiz",
        description="Set up kdump safely: detect, size, review diffs, apply with rollback, verify.",
    )
    p.add_argument("--version", action="version", version=f"kdumpwiz {__version__}")
    p.add_argument("--root", default="/", metavar="DIR",
                   help="configure the system under DIR instead of / (images, chroots, tests)")
    p.add_argument("--arch", default=None, help="override the detected architecture (x86_64, aarch64, ppc64le, s390x)")
    p.add_argument("--ram", dest="image_ram", default=None, metavar="SIZE",
                   help="offline images only (--root without /proc and /sys): RAM of the machine that will boot it")
    p.add_argument("--demo", action="store_true",
                   help="work on a built-in sample machine (Ubuntu 24.04, 16 GiB), kept between runs in "
                        "~/.local/state/kdumpwiz/demo ($KDUMPWIZ_DEMO_DIR); commands are recorded, not run")
    p.add_argument("--demo-reset", action="store_true",
                   help="start the demo machine over (implies --demo)")
    p.add_argument("--answers", metavar="FILE", help="YAML answers (also accepted after the subcommand)")
    p.add_argument("--skip-commands", dest="global_skip_commands", action="store_true",
                   help="write files only and list the commands not run (images, chroots); for the wizard, "
                        "apply and rollback")
    p.add_argument("--ascii", action="store_true", help="wizard: draw with ASCII characters only")
    p.add_argument("--mouse", action="store_true", help="wizard: enable mouse support")
    p.add_argument("--json", dest="global_json", action="store_true",
                   help="one JSON document on stdout (for the subcommands that have --json)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    # The global options are accepted after the subcommand too ("detect --demo --json"):
    # SUPPRESS keeps a value given before the subcommand when it is not repeated after it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--root", default=argparse.SUPPRESS, metavar="DIR", help=argparse.SUPPRESS)
    common.add_argument("--demo", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("--demo-reset", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("--arch", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("--ram", dest="image_ram", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("--ascii", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("--mouse", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    _add_parser = sub.add_parser

    def add_parser(name: str, **kw: Any) -> argparse.ArgumentParser:
        # `crashkernel explain` has its own --ram and --arch (the RAM and arch to evaluate for).
        return _add_parser(name, parents=[] if name == "crashkernel" else [common], **kw)

    sub.add_parser = add_parser  # type: ignore[method-assign]

    d = sub.add_parser("detect", help="show what kdumpwiz finds on this machine")
    d.add_argument("--json", action="store_true")

    pl = sub.add_parser("plan", help="show every file change and command, without writing anything")
    pl.add_argument("--answers", metavar="FILE", dest="sub_answers")
    pl.add_argument("--json", action="store_true")

    ap = sub.add_parser("apply", help="apply the plan (backups, journal, atomic writes)")
    ap.add_argument("--answers", metavar="FILE", dest="sub_answers")
    ap.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    ap.add_argument("--skip-commands", action="store_true",
                    help="write the files only and list the commands that were not run (offline images)")
    ap.add_argument("--finish", action="store_true", help="complete an interrupted or failed apply")
    ap.add_argument("--json", action="store_true")

    v = sub.add_parser("verify", help="check that kdump is armed (exit 0 armed, 1 not armed, 2 error)")
    v.add_argument("--json", action="store_true")

    r = sub.add_parser("rollback", help="restore the files of the last (or the named) apply byte for byte")
    r.add_argument("id", nargs="?", help="apply id (default: the last one)")
    r.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    r.add_argument("--list", action="store_true", help="list recorded applies")
    r.add_argument("--force", action="store_true", help="restore even files changed after the apply")
    r.add_argument("--skip-commands", action="store_true", help="restore files only")
    r.add_argument("--json", action="store_true")

    c = sub.add_parser("crashkernel", help="crashkernel= tools")
    csub = c.add_subparsers(dest="ck_command", metavar="SUBCOMMAND")
    ex = csub.add_parser("explain", help="what the kernel would reserve for a command line")
    ex.add_argument("cmdline", help="a kernel command line or a crashkernel= value")
    ex.add_argument("--ram", required=True, help="RAM as the kernel counts it (e.g. 16G, 17179869184)")
    ex.add_argument("--arch", dest="ck_arch", default="x86_64")
    ex.add_argument("--json", action="store_true")

    ip = sub.add_parser("install-packages", help="install the missing kdump packages with the family's package "
                                                 "manager (apt-get, dnf, zypper), non-interactively")
    ip.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    ip.add_argument("--json", action="store_true")

    tt = sub.add_parser("test-target", help="test the dump target before the reboot: writable, room, SSH login "
                                             "(exit 0 usable, 1 a check failed, 2 error); changes nothing")
    tt.add_argument("--answers", metavar="FILE", dest="sub_answers")
    tt.add_argument("--json", action="store_true")

    t = sub.add_parser("test-crash", help="crash this machine on purpose to prove a dump is written")
    t.add_argument("--confirm", metavar="HOSTNAME", help="the host name, typed to confirm (required without a TTY)")

    sub.add_parser("wizard", help="start the interactive wizard (the default)")
    return p


# -- helpers ---------------------------------------------------------------------


def _out(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def _err(message: str) -> None:
    sys.stderr.write(f"kdumpwiz: {message}\n")


def _human_bytes(n: Optional[int]) -> str:
    if n is None:
        return "unknown"
    from .engine.sizing import mib

    return mib(n)


def make_host(args: argparse.Namespace) -> Host:
    """The host the command works on: --root, --demo, or /."""
    from .engine.host import Host
    if args.demo or args.demo_reset:
        from .demo.simulate import open_demo

        # One demo machine per user, kept between runs: the README's first setup
        # (plan, apply, rollback --list, the wizard) can be followed on it.
        host, created = open_demo(reset=args.demo_reset)
        if created:
            _err(f"demo machine: {host.root} (kept between runs; 'kdumpwiz --demo-reset' starts it over)")
        return host
    if not args.root.strip():
        # An unset shell variable ("--root $IMG") must not turn into "whatever folder this runs in".
        raise KdumpwizError("--root is empty: give the directory of the tree (use --root / for this machine)")
    root = os.path.abspath(args.root)
    if not os.path.isdir(root):
        raise KdumpwizError(f"--root {args.root}: not a directory")
    return Host(root)


def _parse_ram(text: str) -> int:
    """A ``--ram`` size: 16G, 16GiB, 17179869184 (kernel memparse units)."""
    from .engine import crashkernel
    try:
        ram, rest = crashkernel.memparse(text)
    except ValueError:
        ram, rest = 0, "x"
    if rest.upper() in ("B", "IB"):
        rest = ""
    if rest or ram <= 0:
        raise KdumpwizError(f"--ram {text!r}: expected a size like 16G or a number of bytes")
    return ram


def _image_ram(args: argparse.Namespace) -> Optional[int]:
    """The global ``--ram`` in bytes, or None."""
    return _parse_ram(args.image_ram) if getattr(args, "image_ram", None) else None


def _detect(host: Host, args: argparse.Namespace) -> Facts:
    """detect() with the global --arch/--ram; a misplaced --ram is a usage error."""
    from .engine.detect import detect

    try:
        return detect(host, arch=args.arch, ram=_image_ram(args))
    except ValueError as exc:
        raise KdumpwizError(str(exc)) from None


def _answers(args: argparse.Namespace) -> Answers:
    from .engine.answers import Answers, load_answers
    path = getattr(args, "sub_answers", None) or args.answers
    if path:
        return load_answers(path)
    return Answers().validate()


# -- subcommands -----------------------------------------------------------------


def cmd_detect(args: argparse.Namespace) -> int:
    """``kdumpwiz detect``."""
    facts = _detect(make_host(args), args)
    if args.json:
        _out(facts.to_dict())
    else:
        print(format_facts(facts))
    # A script asking "can kdump work here?" gets the answer in the status, not only in the text.
    return EXIT_BLOCKED if facts.blockers else EXIT_OK


def format_facts(facts: Any) -> str:
    """A human summary of :class:`~kdumpwiz.engine.facts.Facts`."""
    lines = [
        f"host          {facts.hostname or '?'}",
        f"distribution  {facts.distro.name} (id {facts.distro.id}, version {facts.distro.version}, family {facts.family or 'unknown'})",
        f"architecture  {facts.arch}, {facts.page_size // 1024} KiB pages, {facts.cpus} CPUs",
        f"memory        {_human_bytes(facts.memory.system_ram_bytes)} as the kernel counts it "
        f"({_human_bytes(facts.memory.rounded_bytes)} rounded, from {facts.memory.source}); "
        f"MemTotal {_human_bytes(facts.memory.memtotal_bytes)}",
        f"kernel        {facts.kernel.release}",
        f"boot          {facts.boot.method} ({facts.boot.detail})",
        f"              {'UEFI' if facts.boot.efi else 'BIOS/other'}, Secure Boot "
        f"{ {True: 'enforced', False: 'off', None: 'n/a'}[facts.boot.secure_boot] }, lockdown {facts.boot.lockdown or 'n/a'}",
        f"crashkernel   running: {facts.kexec.running_crashkernel or 'none'}; "
        f"configured for next boot: {facts.boot.configured_crashkernel or 'none'}",
        f"reserved      {_human_bytes(facts.kexec.crash_size) if facts.kexec.crash_size is not None else 'n/a'}; "
        f"capture kernel loaded: { {True: 'yes', False: 'no', None: 'n/a'}[facts.kexec.crash_loaded] }",
        f"packages      installed: {' '.join(facts.packages.installed) or 'none'}; missing: {' '.join(facts.packages.missing) or 'none'}",
        f"service       {facts.service.unit or 'n/a'}: {'enabled' if facts.service.enabled else 'not enabled'}",
        f"dump dir      {facts.dump.path}, free {_human_bytes(facts.dump.free_bytes)}{', LUKS' if facts.dump.luks else ''}",
    ]
    for b in facts.blockers:
        lines.append(f"BLOCKER       {b.reason}\n              -> {b.remedy}")
    for w in facts.warnings:
        lines.append(f"warning       {w}")
    return "\n".join(lines)


def format_plan(plan: Any) -> str:
    """A human rendering of a plan: value and reasons, diffs, commands, notes."""
    from .engine import crashkernel
    out = [f"{crashkernel.spec_cmdline(plan.crashkernel)} -> the kernel will reserve {_human_bytes(plan.reserved_bytes)}", ""]
    out.append("Why:")
    out += [f"  - {r}" for r in plan.suggestion.reasons]
    for w in plan.warnings:
        out.append(f"WARNING: {w}")
    if plan.is_empty:
        out.append("\nNothing to change: the configuration already matches.")
    for f in plan.files:
        out.append(f"\n=== {'create' if f.created else 'edit'} {f.path}: {f.reason}")
        out.append(f.diff.rstrip("\n"))
    if plan.commands:
        out.append("\nCommands, in order:")
        for i, c in enumerate(plan.commands, 1):
            out.append(f"  {i}. {' '.join(c.argv)}    # {c.reason}")
    if plan.notes:
        out.append("\nNotes:")
        out += [f"  - {n}" for n in plan.notes]
    return "\n".join(out)


def cmd_plan(args: argparse.Namespace) -> int:
    """``kdumpwiz plan``."""
    from .engine.apply import refuse_if_interrupted
    from .engine.plan import build_plan

    answers = _answers(args)
    host = make_host(args)
    refuse_if_interrupted(host)
    plan = build_plan(host, _detect(host, args), answers)
    if args.json:
        _out(plan.to_dict())
    else:
        print(format_plan(plan))
    return EXIT_OK


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        return False
    try:
        return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")
    except EOFError:
        return False


def cmd_apply(args: argparse.Namespace) -> int:
    """``kdumpwiz apply``."""
    from .engine.apply import apply_plan, finish, refuse_if_interrupted
    from .engine.plan import build_plan

    host = make_host(args)
    progress = (lambda kind, msg: None) if args.json else (lambda kind, msg: _err(msg))
    if args.finish:
        if not args.yes and not _confirm("Finish the interrupted apply?"):
            raise KdumpwizError("not confirmed: pass --yes to finish without a question")
        result = finish(host, skip_commands=args.skip_commands, on_event=progress)
        _out(result.to_dict()) if args.json else print(f"apply {result.id} finished")
        return EXIT_OK
    answers = _answers(args)
    refuse_if_interrupted(host)
    facts = _detect(host, args)
    plan = build_plan(host, facts, answers)
    if plan.is_empty:
        if args.json:
            _out({"status": "unchanged", "plan": plan.to_dict()})
        else:
            print("Nothing to change: the configuration already matches.")
        return EXIT_OK
    if not args.yes:
        if not args.json:
            print(format_plan(plan))
        if not _confirm("Apply these changes?"):
            raise KdumpwizError("not confirmed: nothing was written (pass --yes to apply without a question)")
    result = apply_plan(host, plan, skip_commands=args.skip_commands, on_event=progress)
    if result.status == "unchanged":
        # Only commands were planned and --skip-commands leaves them out: nothing is recorded.
        if args.json:
            _out({"status": "unchanged", "commands_skipped": result.commands_skipped, "plan": plan.to_dict()})
        else:
            print("Nothing written: the plan has no file changes, and its commands are not run (--skip-commands):")
            for argv in result.commands_skipped:
                print(f"  not run: {' '.join(argv)}")
        return EXIT_OK
    if args.json:
        data = result.to_dict()
        data["plan"] = plan.to_dict()
        data["reboot_needed"] = plan.reboot_needed
        _out(data)
    else:
        print(f"Applied (id {result.id}); backups in /var/lib/kdumpwiz/applies/{result.id}.")
        for argv in result.commands_skipped:
            print(f"  not run (--skip-commands): {' '.join(argv)}")
        if plan.reboot_needed:
            print("Reboot for the reservation to take effect, then run 'kdumpwiz verify'. "
                  f"To undo: {host.cli('rollback')}.")
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    """``kdumpwiz verify``: exit 0 armed, 1 not armed."""
    from .engine.verify import dump_lines, verify

    host = make_host(args)
    result = verify(host, _detect(host, args))
    if args.json:
        _out(result.to_dict())
    else:
        for c in result.checks:
            mark = "[ OK ]" if c.ok else ("[FAIL]" if c.required else "[WARN]")
            print(f"{mark} {c.name:<10} {c.detail}")
            if c.fix and not c.ok:
                print(f"       {'':<10} fix: {c.fix}")
        for line in dump_lines((result.test_crash or {}).get("dump")):
            print(line)
        print(result.summary)
    return EXIT_OK if result.armed else EXIT_NOT_ARMED


def cmd_rollback(args: argparse.Namespace) -> int:
    """``kdumpwiz rollback``."""
    from .engine import crashkernel
    from .engine.apply import list_applies, rollback

    host = make_host(args)
    if args.list:
        records = list_applies(host)
        if args.json:
            _out([r.to_dict() for r in records])
        else:
            for r in records:
                print(f"{r.id}  {r.status:<12} {crashkernel.spec_cmdline(r.crashkernel)}  {', '.join(f['path'] for f in r.files)}")
            if not records:
                print("no applies recorded")
        return EXIT_OK
    if not args.yes and not _confirm("Restore the files of the last apply?"):
        raise KdumpwizError("not confirmed: nothing was restored (pass --yes to roll back without a question)")
    progress = (lambda kind, msg: None) if args.json else (lambda kind, msg: _err(msg))
    result = rollback(host, args.id, skip_commands=args.skip_commands, force=args.force, on_event=progress)
    if args.json:
        _out(result.to_dict())
    else:
        print(f"Rolled back apply {result.id}: restored {len(result.restored)} file(s), removed {len(result.removed)}.")
        for argv in result.commands_skipped:
            print(f"  not run (--skip-commands): {' '.join(argv)}")
        for argv in result.not_applied:
            print(f"  not needed: the apply did not run the command this undoes (--skip-commands); "
                  f"if you ran it by hand, run '{' '.join(argv)}' there too")
    return EXIT_OK


def cmd_crashkernel(args: argparse.Namespace) -> int:
    """``kdumpwiz crashkernel explain``."""
    from .engine import crashkernel
    if args.ck_command != "explain":
        raise KdumpwizError("usage: kdumpwiz crashkernel explain CMDLINE --ram SIZE [--arch ARCH] [--json]")
    ram = _parse_ram(args.ram)
    line = args.cmdline if "crashkernel=" in args.cmdline else f"crashkernel={args.cmdline}"
    arch = crashkernel.normalize_arch(args.ck_arch)
    res = crashkernel.evaluate(line, ram, arch)
    if args.json:
        data = res.to_dict()
        data["ram_bytes"] = ram
        data["rounded_ram_bytes"] = crashkernel.rounded_ram(ram)
        data["arch"] = arch
        _out(data)
    else:
        if not res.found:
            print("no crashkernel= parameter: nothing is reserved")
        elif res.ok:
            extra = ""
            if res.low_bytes:
                extra += f" + {_human_bytes(res.low_bytes)} low"
            if res.cma_bytes:
                extra += f" + {_human_bytes(res.cma_bytes)} CMA"
            print(f"{crashkernel.spec_cmdline(res.spec or '')} reserves {_human_bytes(res.reserved_bytes)}{extra} "
                  f"with {_human_bytes(ram)} of RAM ({_human_bytes(crashkernel.rounded_ram(ram))} rounded)")
        else:
            print(f"crashkernel={res.token} reserves nothing: {res.error}")
    return EXIT_OK


def cmd_install_packages(args: argparse.Namespace) -> int:
    """``kdumpwiz install-packages``: the Packages step's install, for scripts."""
    from .engine.errors import BlockedError
    from .engine.packages import install_missing, remove_command

    host = make_host(args)
    facts = _detect(host, args)
    if facts.blockers:
        raise BlockedError("kdump cannot be set up here:\n" + "\n".join(f"  - {b.reason}" for b in facts.blockers))
    if not facts.packages.missing:
        if args.json:
            _out({"installed": list(facts.packages.installed), "missing": [], "ran": None})
        else:
            print("All kdump packages are installed: " + " ".join(facts.packages.installed))
        return EXIT_OK
    argv = " ".join(facts.packages.install_argv)
    if not args.yes and not _confirm(f"Run '{argv}'?"):
        raise KdumpwizError(f"not confirmed: pass --yes to run '{argv}' without a question")
    show = (lambda line: None) if args.json else (lambda line: _err(line))
    result = install_missing(host, facts, on_output=show)
    after = _detect(host, args)
    data = {"ran": list(result.argv), "returncode": result.returncode, "installed": list(after.packages.installed),
            "missing": list(after.packages.missing), "undo": remove_command(facts)}
    if args.json:
        _out(data)
    elif result.ok and not after.packages.missing:
        print(f"installed: {' '.join(after.packages.installed)} (to remove them again: {data['undo']})")
    if not result.ok or after.packages.missing:
        raise KdumpwizError(f"'{argv}' exited {result.returncode}; still missing: "
                            f"{' '.join(after.packages.missing) or 'none'}")
    return EXIT_OK


def format_target_report(report: Any) -> str:
    """A human rendering of a :class:`~kdumpwiz.engine.targetcheck.TargetReport`."""
    return "\n".join([f"dump target   {report.target_type}: {report.where}"] + report.lines() + [report.summary])


def cmd_test_target(args: argparse.Namespace) -> int:
    """``kdumpwiz test-target``: exit 0 usable, 1 a check failed."""
    from .engine.families import handler
    from .engine.targetcheck import test_target

    answers = _answers(args)
    host = make_host(args)
    facts = _detect(host, args)
    if facts.family:
        handler(facts.family).check_target(answers.target)
    report = test_target(host, facts, answers)
    if args.json:
        _out(report.to_dict())
    else:
        print(format_target_report(report))
    return EXIT_OK if report.ok else EXIT_TARGET_FAILED


def cmd_test_crash(args: argparse.Namespace) -> int:
    """``kdumpwiz test-crash``: typed confirmation, never without one."""
    from .engine.verify import trigger_test_crash

    host = make_host(args)
    facts = _detect(host, args)
    typed = args.confirm
    if typed is None:
        if not sys.stdin.isatty():
            raise KdumpwizError("test-crash needs a typed confirmation: run it on a terminal, or pass --confirm HOSTNAME")
        print(f"This CRASHES {facts.hostname} now. Every process dies, the capture kernel saves a dump, and the "
              "machine reboots.")
        typed = input(f"Type the host name ({facts.hostname}) to confirm: ")
    trigger_test_crash(host, facts, typed)
    return EXIT_OK


def cmd_wizard(args: argparse.Namespace) -> int:
    """Start the interactive wizard (Textual is imported only here, after its environment is set)."""
    from .app import display_settings, textual_environment

    for key, value in textual_environment(os.environ).items():
        os.environ.setdefault(key, value)
    if not sys.stdin.isatty() or not sys.stdout.isatty():
        raise KdumpwizError("the wizard needs a terminal; for scripts use 'kdumpwiz plan/apply --answers FILE'")
    settings = display_settings(os.environ, args.ascii)

    host = make_host(args)
    answers = _answers(args)
    from .app import KdumpwizApp
    from .state import WizardState

    state = WizardState(host=host, facts=_detect(host, args), answers=answers, demo=args.demo or args.demo_reset,
                        ascii=bool(settings["ascii"]), skip_commands=args.global_skip_commands,
                        arch=args.arch, ram=_image_ram(args))
    app = KdumpwizApp(state, theme=str(settings["theme"]))
    code = app.run(mouse=args.mouse)
    return code or (EXIT_BLOCKED if state.facts.blockers else EXIT_OK)


COMMANDS: Dict[str, Callable[[argparse.Namespace], int]] = {
    "detect": cmd_detect,
    "plan": cmd_plan,
    "apply": cmd_apply,
    "verify": cmd_verify,
    "rollback": cmd_rollback,
    "crashkernel": cmd_crashkernel,
    "install-packages": cmd_install_packages,
    "test-target": cmd_test_target,
    "test-crash": cmd_test_crash,
    "wizard": cmd_wizard,
}


def _join_dash_values(argv: Sequence[str]) -> List[str]:
    """``--ram -16G`` -> ``--ram=-16G``: argparse takes a value that starts with "-" for an option
    ("expected one argument"); joined, the value reaches the check that explains what is wrong."""
    out: List[str] = []
    i = 0
    while i < len(argv):
        if argv[i] in ("--ram", "--root") and i + 1 < len(argv) and argv[i + 1].startswith("-") \
                and argv[i + 1][1:2].isdigit():
            out.append(f"{argv[i]}={argv[i + 1]}")
            i += 2
            continue
        out.append(argv[i])
        i += 1
    return out


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the ``kdumpwiz`` console script."""
    parser = build_parser()
    args = parser.parse_args(_join_dash_values(list(sys.argv[1:] if argv is None else argv)))
    command = args.command or "wizard"
    if args.global_json:
        if not hasattr(args, "json"):
            parser.error(f"--json does not apply to '{command}'")
        args.json = True
    if args.global_skip_commands:
        # Before or after the subcommand means the same; where it means nothing, say so
        # rather than let someone believe commands were held back.
        if hasattr(args, "skip_commands"):
            args.skip_commands = True
        elif command != "wizard":
            parser.error(f"--skip-commands does not apply to '{command}'")
    try:
        code = COMMANDS[command](args)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler below, not at interpreter exit
        return code
    except BrokenPipeError:
        # "kdumpwiz detect | head -1": the reader is gone. End quietly with the status a shell gives a
        # tool killed by SIGPIPE, and point stdout at /dev/null so the exit-time flush cannot fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    except KdumpwizError as exc:
        # verify and test-target promise 0 / 1 / 2 error, whatever the error.
        code = EXIT_ERROR if command in ("verify", "test-target") else exc.exit_code
        if getattr(args, "json", False):
            _out({"error": exc.message, "hint": exc.hint, "kind": type(exc).__name__, "exit_code": code})
        _err(str(exc))
        return code
    except KeyboardInterrupt:
        _err("interrupted")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
