"""The ``kdumpwiz`` command's entry point: ``--version`` and ``--help`` answered before the rest is imported.

Scripts and packaging tools ask ``kdumpwiz --version`` often, people ask ``--help``;
the full command line (json, typing, the engine's errors, signal handling) costs
several times Python's own start-up (bench/speed). ``--version`` needs nothing,
``--help`` only the grammar in :mod:`kdumpwiz.cli_parser`. Everything else goes to
:func:`kdumpwiz.cli.main`.
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
    if "-h" in args or "--help" in args:
        from .cli_parser import build_parser, join_dash_values

        # argparse prints the help and exits; when "-h" was something else (an option's value,
        # an error first), the parse returns or fails exactly as it would in cli.main.
        build_parser().parse_args(join_dash_values(args))
    from .cli import main as cli_main

    return cli_main(argv)
