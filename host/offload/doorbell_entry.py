"""The doorbell's one entry point in a wasmtime-py linker, for the lazy shim and the full
host alike (lazy_doorbell.py, doorbell_host.py)."""


def define_fd_advise(linker, store, handler):
    """Shadow wasi ``fd_advise`` in ``linker`` (after define_wasi) by ``handler(caller, fd,
    offset, length, advice)``: the doorbell's one entry point, owned here for both classes."""
    import wasmtime
    linker.allow_shadowing = True
    i32, i64 = wasmtime.ValType.i32(), wasmtime.ValType.i64()
    ty = wasmtime.FuncType([i32, i64, i64, i32], [i32])
    linker.define(store, "wasi_snapshot_preview1", "fd_advise",
                  wasmtime.Func(store, ty, handler, access_caller=True))
