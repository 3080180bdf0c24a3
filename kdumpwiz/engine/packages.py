"""Installing the family's missing kdump packages with its own package manager.

One function for the wizard's Packages step and ``kdumpwiz install-packages``:
the command is the family's ``install_argv`` from detection (apt-get, dnf,
zypper -- shown to the admin before it runs), run with the package manager's
non-interactive settings, its output streamed line by line, and a cancel that
stops the whole process group (apt's dpkg and its maintainer scripts too).
Debian's debconf questions take their defaults: kdump-tools enabled, and
kexec-tools' "handle reboots" yes -- which the plan then turns off, since a
kexec reboot would skip the new crashkernel= (families/debian.py).

Nothing here is journaled or undone by rollback: a package install is the
package manager's business; the command to remove them again is said instead.
"""

from __future__ import annotations

import threading
from typing import Dict, Optional

from .errors import KdumpwizError
from .facts import Facts
from .host import CommandResult, Host, OutputCallback

#: The package managers' own switches for "never ask" (apt's debconf, zypper's prompts).
NONINTERACTIVE_ENV: Dict[str, str] = {"DEBIAN_FRONTEND": "noninteractive", "APT_LISTCHANGES_FRONTEND": "none"}
#: An install over a slow mirror takes minutes; an hour means it hangs.
INSTALL_TIMEOUT = 3600.0


def remove_command(facts: Facts) -> str:
    """How to remove what an install added (said, never run)."""
    # Every family's install_argv is TOOL OPTION-OR-VERB VERB-OR-OPTION NAMES...: the names start at index 3.
    tool = facts.packages.install_argv[0] if facts.packages.install_argv else "apt-get"
    names = " ".join(facts.packages.install_argv[3:])
    return {"apt-get": f"apt-get remove {names}", "dnf": f"dnf remove {names}",
            "zypper": f"zypper remove {names}"}.get(tool, f"{tool} remove {names}")


def install_missing(host: Host, facts: Facts, *, on_output: Optional[OutputCallback] = None,
                    cancel: Optional[threading.Event] = None) -> CommandResult:
    """Run the family's install command for the missing packages; raises if nothing is missing."""
    if not facts.packages.missing:
        raise KdumpwizError("nothing to install: every kdump package is installed")
    return host.run(facts.packages.install_argv, env=NONINTERACTIVE_ENV, on_output=on_output, cancel=cancel,
                    timeout=INSTALL_TIMEOUT)
