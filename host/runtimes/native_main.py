"""The native runtime's process: selfhost's program on this CPython, with wasmtime-py as
offload's native side (when it is importable and offload is wanted).

    python -m host.runtimes.native_main --config CONFIG.json   (what native.py starts)
    python -m host.runtimes.native_main [SELFHOST ARGS...]      (by hand, and in tests)

CONFIG: {"argv": selfhost's argv, "offload": bool}.

The native side is the plain one (host/offload/native.py: no safe point inside an offloaded
call) unless tier 2 is asked for: ``--offload tier2`` or ``imports``, or SELFHOST_TIER2=1 (the instrumented
side, host/offload/tier2_native.py). Both sides are made at the first offload, so an app that
never offloads pays for neither. Tier 2 stays opt-in for speed: its instrumented module is
bigger to build and compile than the plain one, and its code polls (bench/results/tier2.md),
so a short app that offloads runs slower with it than with plain offload, against issue 13's
rule that tier 2 never be slower. Its checkpoints inside native code restore exactly
(tests/test_tier2_native.py, random native moments)."""
import json
import os
import sys


def _native_side(module, threshold, imports=False, tier2=False):
    """Imported at the first use: a run that offloads nothing never loads wasmtime."""
    try:
        if imports or tier2 or os.environ.get("SELFHOST_TIER2") == "1":
            from host.offload.tier2_native import make_offloader
            return make_offloader(module, threshold, imports=imports)
        from host.offload.native import make_offloader
    except ImportError:
        return None
    return make_offloader(module, threshold)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--config"] and len(argv) == 2:
        with open(argv[1], encoding="utf-8") as f:
            config = json.load(f)
    else:
        config = {"argv": list(argv), "offload": True}
    from selfhost.cli import main as selfhost_main
    native = _native_side if config.get("offload", True) else None
    return selfhost_main(config["argv"], native_side=native)


if __name__ == "__main__":
    sys.exit(main())
