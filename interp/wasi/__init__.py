"""WASI preview1 for a guest, served through Python's os/io (see core.py)."""
from .abi import CHECKPOINT_MAGIC, WasiError
from .core import WASI
from .fdtable import Fd

__all__ = ["WASI", "Fd", "WasiError", "CHECKPOINT_MAGIC"]
