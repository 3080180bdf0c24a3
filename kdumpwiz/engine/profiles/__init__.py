"""Distribution families' facts, one profile per family (see :mod:`.base`).

Detection and sizing read these; nothing here imports anything above the host,
the editors, the boot-configuration readers and the crashkernel model.
"""

from __future__ import annotations

from typing import Dict, Optional

from .base import DEBIAN_IDS, REDHAT_IDS, SUSE_IDS, Profile, family_for
from .debian import DebianProfile
from .redhat import RedHatProfile
from .suse import SuseProfile

__all__ = ["DEBIAN_IDS", "REDHAT_IDS", "SUSE_IDS", "Profile", "family_for", "profile"]

_PROFILES: Dict[str, Profile] = {p.name: p for p in (DebianProfile(), RedHatProfile(), SuseProfile())}


def profile(family: Optional[str]) -> Profile:
    """The profile of ``family`` ("debian", "redhat" or "suse")."""
    if family not in _PROFILES:
        raise KeyError(f"unknown family {family!r}")
    return _PROFILES[family]  # type: ignore[index]
