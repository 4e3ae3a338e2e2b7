"""The native runtime's process: ``python -m host.runtimes.native_main CONFIG.json``.

CONFIG: {"argv": selfhost's argv, "offload": bool}. Runs selfhost.cli.main on this CPython
with wasmtime-py as offload's native side (when it is importable and offload is wanted)."""
import json
import sys


def _native_side(module, threshold):
    """Imported at the first use: a run that offloads nothing never loads wasmtime."""
    try:
        from host.offload.native import make_offloader
    except ImportError:
        return None
    return make_offloader(module, threshold)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    with open(argv[0], encoding="utf-8") as f:
        config = json.load(f)
    from selfhost.cli import main as selfhost_main
    native = _native_side if config.get("offload", True) else None
    return selfhost_main(config["argv"], native_side=native)


if __name__ == "__main__":
    sys.exit(main())
