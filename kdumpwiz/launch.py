"""The ``kdumpwiz`` command's entry point: ``--version`` answered before anything is imported.

Scripts and packaging tools ask ``kdumpwiz --version`` often; the full command line
(argparse, json, the engine's errors) costs several times Python's own start-up
(bench/speed). Everything else goes to :func:`kdumpwiz.cli.main`.
"""

from __future__ import annotations

import sys

# Not typing.TYPE_CHECKING: importing typing costs more than this whole path (mypy reads the
# name as true all the same); its names are only in the hints, which are never evaluated.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    """Run the command line; ``--version`` alone is answered here."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["--version"]:
        from . import __version__

        print(f"kdumpwiz {__version__}")
        return 0
    from .cli import main as cli_main

    return cli_main(argv)
