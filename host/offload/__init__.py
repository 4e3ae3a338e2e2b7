"""Offload's native sides on the host: wasmtime-py for selfhost on CPython (native.py), and the
doorbell that serves selfhost.wasm's requests from inside a wasmtime-py runner
(doorbell_host.py, behind lazy_doorbell.py's shim until the first request)."""
