"""Distribution families' edit logic, one handler per family (see :mod:`.base`).

A family handler turns (facts, answers, crashkernel value) into file edits and
commands. It sits above the family's profile (:mod:`~kdumpwiz.engine.profiles`)
and below the plan, which collects and proves the changes.
"""

from __future__ import annotations

from typing import Dict, Optional

from .base import FamilyHandler
from .debian import DebianFamily
from .redhat import RedHatFamily
from .suse import SuseFamily

__all__ = ["FamilyHandler", "handler"]

_HANDLERS: Dict[str, FamilyHandler] = {h.name: h for h in (DebianFamily(), RedHatFamily(), SuseFamily())}


def handler(family: Optional[str]) -> FamilyHandler:
    """The handler of ``family`` ("debian", "redhat" or "suse")."""
    if family not in _HANDLERS:
        raise KeyError(f"unknown family {family!r}")
    return _HANDLERS[family]  # type: ignore[index]
