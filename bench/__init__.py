"""Benchmarks: C kernels run by selfhost's interpreter (natively and inside selfhost.wasm on
several hosts) and by peer runtimes (pywasm, wasm3, native wasmtime). `python -m bench --help`."""
