"""kdumpwiz: set up kdump on a Linux server, safely and reversibly.

The package is split in two: :mod:`kdumpwiz.engine` knows the machine and never
imports a user-interface library; the Textual wizard and the command line sit on
top of it.
"""

__version__ = "0.1.0"
