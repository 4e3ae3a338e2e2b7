"""The offload doorbell in a wasmtime-py runner, set up for nothing until it is used.

selfhost.wasm asks for its native side through wasi fd_advise on a magic fd
(interp/offload.py). A start costs only this shim: it answers the guest's ping (length 0: "is
there a native side?") itself, and imports host/offload_native.py (wasmtime's native side and
the interp package behind it) at the first real request, which the guest sends only when it
offloads a function. Any other fd_advise succeeds (advice is advisory).
"""
MAGIC_FD = 0x5E1F0FF    # = interp.offload.MAGIC_FD (not imported: that costs every start;
                        # tests/test_offload.py checks that they agree)


class DoorbellShim:
    def __init__(self):
        self.host = None          # host.offload_native.DoorbellHost, at the first request
        self.bound = None

    def install(self, linker, store):
        """Shadow wasi fd_advise in ``linker`` (after define_wasi)."""
        import wasmtime
        linker.allow_shadowing = True
        i32, i64 = wasmtime.ValType.i32(), wasmtime.ValType.i64()
        ty = wasmtime.FuncType([i32, i64, i64, i32], [i32])
        linker.define(store, "wasi_snapshot_preview1", "fd_advise",
                      wasmtime.Func(store, ty, self.fd_advise, access_caller=True))

    def bind(self, instance, store):
        """The selfhost instance, once instantiated (its memory, for the requests)."""
        self.bound = (instance, store)
        if self.host is not None:
            self.host.bind(instance, store)

    def fd_advise(self, caller, fd, offset, length, advice):
        if fd != MAGIC_FD or length == 0:
            return 0
        if self.host is None:
            from host.offload_native import DoorbellHost
            self.host = DoorbellHost()
            if self.bound is not None:
                self.host.bind(*self.bound)
        return self.host.fd_advise(caller, fd, offset, length, advice)
