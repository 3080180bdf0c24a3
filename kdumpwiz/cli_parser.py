"""The ``kdumpwiz`` command line's grammar: every option and subcommand, with descriptions and examples.

Kept apart from :mod:`kdumpwiz.cli` (which runs the commands) and free of every import
but argparse, so ``kdumpwiz --help`` and ``kdumpwiz COMMAND --help`` are answered by
:mod:`kdumpwiz.launch` without the engine, json or typing (bench/speed); the man page
and the shell completions are generated from :func:`build_parser` too.
"""

from __future__ import annotations

import argparse

from . import __version__

# Not typing.TYPE_CHECKING: importing typing costs more than building this parser.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, List, Sequence

#: Exit statuses shared by the subcommands (kdumpwiz.engine.errors defines each error's).
EXIT_CODES = """exit status:
  0  done (verify: armed; test-target: usable)
  1  verify: not armed; test-target: a check failed
  2  error (verify and test-target: any error)
  3  the answers are invalid           4  a file cannot be edited safely
  5  the crashkernel= value is refused  6  kdump cannot be set up here (blocked)
  7  the apply failed (rolled back)     8  another kdumpwiz holds the lock (retry)
  9  a file or command of the host could not be read or run"""

ANSWERS_HELP = "YAML answers (crashkernel, target, dump_level ...); without it, the defaults"
JSON_HELP = "one JSON document on stdout instead of text"

#: Description and examples of each subcommand (its --help, and the man page).
HELP = {
    "detect": ("What kdumpwiz finds on this machine: distribution and kdump family, architecture, boot "
               "loader, RAM as the kernel counts it, the crashkernel= configured and running, the kdump "
               "packages and service, and every reason kdump cannot be set up here. Reads only.",
               ["kdumpwiz detect", "kdumpwiz detect --json | jq .blockers",
                "kdumpwiz --root /mnt/image --ram 16G detect"]),
    "plan": ("Every file change (as a unified diff) and every command the apply would make for the "
             "answers, with the suggested crashkernel= size and the reasons for it. Writes nothing.",
             ["kdumpwiz plan", "kdumpwiz plan --answers answers.yaml --json",
              "kdumpwiz --demo plan"]),
    "apply": ("Apply the plan: a backup of every file, a journal, atomic writes, then the commands "
              "(update-grub, grubby, zipl, systemctl enable ...). Refuses an edit whose result the boot "
              "loader would not read back as planned. Prints the rollback command; a reboot is needed "
              "for a new reservation.",
              ["kdumpwiz apply --yes", "kdumpwiz apply --answers answers.yaml --yes --json",
               "kdumpwiz --root /mnt/image --ram 16G apply --yes --skip-commands",
               "kdumpwiz apply --finish --yes   # after an interrupted apply"]),
    "verify": ("Check, in order, that kdump is armed: crashkernel= on the running command line, memory "
               "reserved, \"Crash kernel\" in /proc/iomem, the capture kernel loaded and usable, the "
               "service enabled; and report the last test crash's dump. Exit 0 armed, 1 not armed, "
               "2 error.",
               ["kdumpwiz verify", "kdumpwiz verify --json | jq .armed"]),
    "rollback": ("Restore the files of the last (or the named) apply byte for byte and run the commands "
                 "that make the boot loader read them again. Refuses a file changed since the apply "
                 "unless --force.",
                 ["kdumpwiz rollback --list", "kdumpwiz rollback --yes",
                  "kdumpwiz rollback 20261201T120000.123456-4242 --yes   # an ID from --list"]),
    "disable": ("Turn kdump off: every file kdumpwiz changed goes back to what it was before kdumpwiz (each "
                "apply rolled back, newest first), and the kdump service is stopped and disabled. Shows every "
                "file as a diff and the command first. What the distribution's kdump package put in the boot "
                "configuration stays (the preview says how much it keeps reserved). 'kdumpwiz apply' sets "
                "kdump up again.",
                ["kdumpwiz disable", "kdumpwiz disable --yes --json",
                 "kdumpwiz --root /mnt/image disable --yes --skip-commands"]),
    "crashkernel": ("crashkernel= tools that need no machine.", ["kdumpwiz crashkernel explain '1G-:256M' --ram 16G"]),
    "explain": ("What the kernel would reserve for a command line or a crashkernel= value on a machine "
                "with the given RAM, by the kernel's own parsing rules (the last crashkernel= wins, "
                "ranges against RAM as the kernel counts it).",
                ["kdumpwiz crashkernel explain 'quiet crashkernel=1G-4G:192M,4G-:256M' --ram 8G",
                 "kdumpwiz crashkernel explain 512M,high --ram 64G --arch aarch64 --json"]),
    "install-packages": ("Install the missing kdump packages with the family's package manager "
                         "(apt-get, dnf, zypper), non-interactively, streaming its output; Ctrl+C stops it "
                         "as a whole.",
                         ["kdumpwiz install-packages", "kdumpwiz install-packages --yes --json"]),
    "test-target": ("Test the dump target before the reboot, as the capture kernel will use it: the "
                    "directory exists or can be created, is writable and has room for a dump of the "
                    "estimated size; for SSH a non-interactive key login and a writable remote directory; "
                    "for NFS the export mounts. Changes nothing. Exit 0 usable, 1 a check failed, 2 error.",
                    ["kdumpwiz test-target", "kdumpwiz test-target --answers answers.yaml --json"]),
    "test-crash": ("Crash this machine on purpose (sysrq-c) to prove that a dump is written; refuses unless "
                   "kdump is armed, and asks for the host name to be typed.",
                   ["kdumpwiz test-crash", "kdumpwiz test-crash --confirm \"$(hostname)\""]),
    "wizard": ("Start the interactive wizard (the default without a subcommand).",
               ["kdumpwiz", "kdumpwiz --demo", "kdumpwiz --ascii   # a serial or Linux console"]),
}


def _help(name: str) -> "dict[str, Any]":
    """add_parser keywords for subcommand ``name``: its description and examples."""
    description, examples = HELP[name]
    epilog = "examples:\n" + "\n".join(f"  {e}" for e in examples)
    if name != "crashkernel":
        epilog += "\n\n" + EXIT_CODES
    return {"description": description, "epilog": epilog, "formatter_class": _Formatter}


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions wrapped to the terminal, examples and exit statuses kept line by line."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith(("examples:", "exit status:")):
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return argparse.HelpFormatter._fill_text(self, text, width, indent)


def build_parser() -> argparse.ArgumentParser:
    """The argparse tree of every subcommand."""
    # argparse passes its own few words ("show this help message and exit", "options") through
    # gettext while the tree is built, and gettext searches the disk for a catalogue at every
    # call: 38 searches, 40 % of building this parser (bench/speed). Python ships no catalogue
    # for them, so the identity gives the same text; the real lookup is back for what follows
    # (usage lines, error messages).
    translate = argparse._  # type: ignore[attr-defined]
    argparse._ = str  # type: ignore[attr-defined]
    try:
        return _build_parser()
    finally:
        argparse._ = translate  # type: ignore[attr-defined]


def _build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kdumpwiz",
        description="Set up kdump safely: detect, size, review diffs, apply with rollback, verify. "
                    "Without a command, the wizard starts.",
        epilog="examples:\n  kdumpwiz --demo\n  kdumpwiz plan\n  kdumpwiz apply --yes && reboot\n"
               "  kdumpwiz verify\n\n'kdumpwiz COMMAND --help' describes each command.\n\n" + EXIT_CODES,
        formatter_class=_Formatter,
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

    d = sub.add_parser("detect", help="show what kdumpwiz finds on this machine", **_help("detect"))
    d.add_argument("--json", action="store_true", help=JSON_HELP)

    pl = sub.add_parser("plan", help="show every file change and command, without writing anything", **_help("plan"))
    pl.add_argument("--answers", metavar="FILE", dest="sub_answers", help=ANSWERS_HELP)
    pl.add_argument("--json", action="store_true", help=JSON_HELP)

    ap = sub.add_parser("apply", help="apply the plan (backups, journal, atomic writes)", **_help("apply"))
    ap.add_argument("--answers", metavar="FILE", dest="sub_answers", help=ANSWERS_HELP)
    ap.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    ap.add_argument("--skip-commands", action="store_true",
                    help="write the files only and list the commands that were not run (offline images)")
    ap.add_argument("--finish", action="store_true", help="complete an interrupted or failed apply")
    ap.add_argument("--json", action="store_true", help=JSON_HELP)

    v = sub.add_parser("verify", help="check that kdump is armed (exit 0 armed, 1 not armed, 2 error)",
                       **_help("verify"))
    v.add_argument("--json", action="store_true", help=JSON_HELP)

    r = sub.add_parser("rollback", help="restore the files of the last (or the named) apply byte for byte",
                       **_help("rollback"))
    r.add_argument("id", nargs="?", help="apply id (default: the last one)")
    r.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    r.add_argument("--list", action="store_true", help="list recorded applies")
    r.add_argument("--force", action="store_true", help="restore even files changed after the apply")
    r.add_argument("--skip-commands", action="store_true", help="restore files only")
    r.add_argument("--json", action="store_true", help=JSON_HELP)

    dis = sub.add_parser("disable", help="turn kdump off: kdumpwiz's changes undone, the kdump service stopped "
                                          "and disabled", **_help("disable"))
    dis.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    dis.add_argument("--force", action="store_true", help="restore kdumpwiz's backups even of files changed since")
    dis.add_argument("--skip-commands", action="store_true", help="restore files only (images, chroots)")
    dis.add_argument("--json", action="store_true", help=JSON_HELP)

    c = sub.add_parser("crashkernel", help="crashkernel= tools", **_help("crashkernel"))
    csub = c.add_subparsers(dest="ck_command", metavar="SUBCOMMAND")
    ex = csub.add_parser("explain", help="what the kernel would reserve for a command line", **_help("explain"))
    ex.add_argument("cmdline", help="a kernel command line or a crashkernel= value")
    ex.add_argument("--ram", required=True, help="RAM as the kernel counts it (e.g. 16G, 17179869184)")
    ex.add_argument("--arch", dest="ck_arch", default="x86_64")
    ex.add_argument("--json", action="store_true", help=JSON_HELP)

    ip = sub.add_parser("install-packages", help="install the missing kdump packages with the family's package "
                                                 "manager (apt-get, dnf, zypper), non-interactively",
                        **_help("install-packages"))
    ip.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    ip.add_argument("--json", action="store_true", help=JSON_HELP)

    tt = sub.add_parser("test-target", help="test the dump target before the reboot: writable, room, SSH login "
                                             "(exit 0 usable, 1 a check failed, 2 error); changes nothing",
                        **_help("test-target"))
    tt.add_argument("--answers", metavar="FILE", dest="sub_answers", help=ANSWERS_HELP)
    tt.add_argument("--json", action="store_true", help=JSON_HELP)

    t = sub.add_parser("test-crash", help="crash this machine on purpose to prove a dump is written",
                       **_help("test-crash"))
    t.add_argument("--confirm", metavar="HOSTNAME", help="the host name, typed to confirm (required without a TTY)")

    sub.add_parser("wizard", help="start the interactive wizard (the default)", **_help("wizard"))
    return p




def join_dash_values(argv: Sequence[str]) -> List[str]:
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
