"""The engine's settings in one place.

The engine reads no environment variables and no global switches: whoever runs it (the selfhost
program, a test, an embedder) builds a ``Config`` and hands it to ``Machine`` (or
``interp.instantiate``). ``selfhost/config.py`` maps the command line and the SELFHOST_*
environment variables onto it.
"""
from dataclasses import dataclass, replace
from typing import Optional

DEFAULT_TIER1_THRESHOLD = 1000
DEFAULT_CHECK_EVERY = 10_000
DEFAULT_MAX_CALL_DEPTH = 200_000


@dataclass(frozen=True)
class Config:
    # a function moves to tier 1 once its tier-0 calls + back-edges pass this; 0 = at its first
    # call; None = tier 1 off
    tier1_threshold: Optional[int] = DEFAULT_TIER1_THRESHOLD
    # test mode: every tier-0 frame moves into tier 1 at its first loop header (and every
    # back-edge and call is a safe point)
    osr_always: bool = False
    # back-edges + calls between two safe points (where a checkpoint can be taken)
    check_every: int = DEFAULT_CHECK_EVERY
    # frames (weighted by Code.cost) before "call stack exhausted"
    max_call_depth: int = DEFAULT_MAX_CALL_DEPTH
    # debugging: write each generated tier-1 source to this directory
    tier1_dump_dir: Optional[str] = None

    def but(self, **changes):
        """A copy with ``changes`` applied (``Config().but(tier1_threshold=None)``)."""
        return replace(self, **changes) if changes else self
