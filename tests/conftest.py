"""Shared fixtures (the helpers themselves are in tests/support.py) and the markers.

Markers (registered in pyproject.toml): ``slow``, ``hosts``, ``build``, ``cluster``; see
tests/support.py. A test parametrized over a Wasm runtime is marked ``hosts`` automatically.
"""
import pytest

from tests import support

WASM_RUNTIMES = ("wasmtime", "wasmtime-cli", "wasmer", "node")


def pytest_collection_modifyitems(config, items):
    for item in items:
        callspec = getattr(item, "callspec", None)
        params = callspec.params.values() if callspec is not None else ()
        if any(isinstance(p, str) and p in WASM_RUNTIMES for p in params):
            item.add_marker(pytest.mark.hosts)


@pytest.fixture
def wat(tmp_path):
    """wat(text, name="m", *flags) -> Path of the assembled module in tmp_path."""
    def build(text, name="m", *flags):
        return support.wat2wasm(text, tmp_path / (name + ".wasm"), *flags)
    return build


@pytest.fixture(scope="session")
def selfhost_wasm():
    """build/selfhost.wasm (or $SELFHOST_WASM); skips without it (fails in CI)."""
    return support.require_build()
