"""The host side of selfhost: run build/selfhost.wasm under wasmtime, Wasmer or Node (and
later migrate, offload). See host.launch for the Python API and host.cli for `selfhost`."""

__version__ = "0.1.0"
