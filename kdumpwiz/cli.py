"""The one door: ``kdumpwiz`` command-line parsing and the scriptable subcommands.

Subcommands print plain text for people or, with ``--json``, one JSON document
for automation. Errors become one clear message on stderr (and a JSON
``{"error": ...}`` with ``--json``) and a distinct exit code per kind of error
(see :mod:`kdumpwiz.engine.errors`). Textual is imported only when the wizard
starts, so scripted runs stay fast and work without a terminal.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Sequence

from .cli_parser import build_parser, join_dash_values
from .engine.errors import KdumpwizError

if TYPE_CHECKING:  # pragma: no cover
    from .state import WizardState
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


# -- helpers ---------------------------------------------------------------------


#: The version of the JSON documents of detect, plan, apply and verify and of the error document
#: (docs/schemas/): fleets check it instead of reading the code; bumped on any incompatible change.
SCHEMA = 1


def _doc(data: Dict[str, Any]) -> Dict[str, Any]:
    """``data`` as a versioned document: ``{"schema": 1, ...}``."""
    return {"schema": SCHEMA, **data}


def _out(data: Any) -> None:
    import json  # here: the wizard's start (first frame, bench/speed) never needs it

    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def _err(message: str) -> None:
    sys.stderr.write(f"kdumpwiz: {message}\n")


def _human_bytes(n: Optional[int]) -> str:
    if n is None:
        return "unknown"
    from .engine.sizing import mib

    return mib(n)


def make_host(args: argparse.Namespace, announce: Callable[[str], None] = _err) -> Host:
    """The host the command works on: --root, --demo, or /; ``announce`` says where a new demo machine is."""
    from .engine.host import Host
    if args.demo or args.demo_reset:
        from .demo.simulate import open_demo

        # One demo machine per user, kept between runs: the README's first setup
        # (plan, apply, rollback --list, the wizard) can be followed on it.
        host, created = open_demo(reset=args.demo_reset)
        if created:
            announce(f"demo machine: {host.root} (kept between runs; 'kdumpwiz --demo-reset' starts it over)")
        return host
    return Host(_root_dir(args))


def _root_dir(args: argparse.Namespace) -> str:
    """``--root`` as an absolute directory, refused when empty or not a directory (needs no engine)."""
    if not args.root.strip():
        # An unset shell variable ("--root $IMG") must not turn into "whatever folder this runs in".
        raise KdumpwizError("--root is empty: give the directory of the tree (use --root / for this machine)")
    root = os.path.abspath(args.root)
    if not os.path.isdir(root):
        raise KdumpwizError(f"--root {args.root}: not a directory")
    return root


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
        _out(_doc(facts.to_dict()))
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
        _out(_doc(plan.to_dict()))
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
        _out(_doc(result.to_dict())) if args.json else print(f"apply {result.id} finished")
        return EXIT_OK
    answers = _answers(args)
    refuse_if_interrupted(host)
    facts = _detect(host, args)
    plan = build_plan(host, facts, answers)
    if plan.is_empty:
        if args.json:
            _out(_doc({"status": "unchanged", "plan": plan.to_dict()}))
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
            _out(_doc({"status": "unchanged", "commands_skipped": result.commands_skipped, "plan": plan.to_dict()}))
        else:
            print("Nothing written: the plan has no file changes, and its commands are not run (--skip-commands):")
            for argv in result.commands_skipped:
                print(f"  not run: {' '.join(argv)}")
        return EXIT_OK
    if args.json:
        data = result.to_dict()
        data["plan"] = plan.to_dict()
        data["reboot_needed"] = plan.reboot_needed
        _out(_doc(data))
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
        _out(_doc(result.to_dict()))
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


def cmd_disable(args: argparse.Namespace) -> int:
    """``kdumpwiz disable``: the preview (diffs, command, what stays reserved), a question, then the disable."""
    from .engine.disable import disable, plan_disable

    host = make_host(args)
    facts = _detect(host, args)
    preview = plan_disable(host, facts, force=args.force)
    if not args.json:
        for r in preview.restores:
            print(f"--- {'remove' if r.restored is None else 'restore'} {r.path}")
            sys.stdout.write(r.diff)
        for argv in preview.commands:
            print(f"run: {' '.join(argv)}")
        for note in preview.notes:
            print(f"note: {note}")
    if preview.is_empty:
        if args.json:
            _out({"preview": preview.to_dict(), "result": None})
        else:
            print("kdump is already off here, and kdumpwiz has nothing to undo.")
        return EXIT_OK
    if not args.yes and not _confirm("Disable kdump as shown?"):
        raise KdumpwizError("not confirmed: nothing was changed (pass --yes to disable without a question)")
    progress = (lambda kind, msg: None) if args.json else (lambda kind, msg: _err(msg))
    result = disable(host, facts, force=args.force, skip_commands=args.skip_commands, on_event=progress)
    if args.json:
        _out({"preview": preview.to_dict(), "result": result.to_dict()})
    else:
        ran = [" ".join(cmd) for cmd in preview.commands if list(cmd) not in result.commands_skipped]
        print(f"kdump is disabled: {len(result.rolled_back)} apply(s) rolled back"
              + (f", then {'; '.join(ran)}" if ran else "") + ".")
        for skipped in result.commands_skipped:
            print(f"  not run (--skip-commands): {' '.join(skipped)}")
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
    demo = bool(args.demo or args.demo_reset)
    # What can be refused without the engine is refused before the screen is drawn; an answers
    # file too (its errors name a line the admin must see on a normal terminal).
    if not demo:
        _root_dir(args)
    ram = _image_ram(args)
    answers = _answers(args) if (getattr(args, "sub_answers", None) or args.answers) else None
    from .app import KdumpwizApp

    def start() -> "WizardState":
        # In the app's worker, after its first frame: the engine's imports and the detection.
        from .state import WizardState

        host = make_host(args, announce=app.start_notes.append)
        return WizardState(host=host, facts=_detect(host, args), answers=answers or _answers(args), demo=demo,
                           ascii=bool(settings["ascii"]), skip_commands=args.global_skip_commands,
                           arch=args.arch, ram=ram)

    app = KdumpwizApp(start=start, demo=demo, ascii=bool(settings["ascii"]), theme=str(settings["theme"]))
    code = app.run(mouse=args.mouse)
    for note in app.start_notes:
        _err(note)  # on the normal screen, where it stays readable
    if app.start_error is not None:
        raise app.start_error
    blocked = app.state is not None and bool(app.state.facts.blockers)
    return code or (EXIT_BLOCKED if blocked else EXIT_OK)


COMMANDS: Dict[str, Callable[[argparse.Namespace], int]] = {
    "detect": cmd_detect,
    "plan": cmd_plan,
    "apply": cmd_apply,
    "verify": cmd_verify,
    "rollback": cmd_rollback,
    "disable": cmd_disable,
    "crashkernel": cmd_crashkernel,
    "install-packages": cmd_install_packages,
    "test-target": cmd_test_target,
    "test-crash": cmd_test_crash,
    "wizard": cmd_wizard,
}


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the ``kdumpwiz`` console script."""
    parser = build_parser()
    args = parser.parse_args(join_dash_values(list(sys.argv[1:] if argv is None else argv)))
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
            _out(_doc({"error": exc.message, "hint": exc.hint, "kind": type(exc).__name__, "exit_code": code}))
        _err(str(exc))
        return code
    except KeyboardInterrupt:
        _err("interrupted")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
