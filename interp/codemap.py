"""The engine's per-module code map: everything derived from one module's code, in one owner.

wasmi keeps a ``CodeMap`` beside its ``Config`` for the same reason: the decoded ``Module`` stays
plain data (what the binary says), while the engine's own products live here:

* ``heights``: validation's operand-stack heights per defined function (the lowerer's input);
* ``facts``: per defined function what its body calls and touches, as validate_stream gathered
  it (None for a function it left to the reference, or all None when it did not run), so
  offload's analysis need not decode every body again;
* ``lowered``: each defined function's tier-0 ``lower.Code``, made lazily at its first call (its
  tier-1 compile hangs off ``Code.t1``);
* ``code_of``: generated tier-1 generator code objects -> their ``Code`` (the tier-1 driver's
  map from a running generator back to its function);
* ``stats``: tier-1 compile counts and time;
* the two hooks a run may attach: ``offload`` (interp/offload.py's Offloader) and ``profile``
  (interp/profile.py's Profile or Tracer); None when not attached.

Every instance of the module shares it. ``interp.decode`` creates it.
"""


class CodeMap:
    def __init__(self, heights, facts=None):
        self.heights = heights
        self.facts = facts
        self.lowered = {}
        self.code_of = {}
        self.stats = {"functions": 0, "seconds": 0.0, "skipped": 0, "osr": 0, "osr_skipped": 0}
        self.offload = None
        self.profile = None
