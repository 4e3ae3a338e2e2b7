"""The offload doorbell in a wasmtime-py runner, set up for nothing until it is used.

A start of selfhost.wasm costs only this shim: it shadows WASI ``fd_advise`` and answers a call
with length 0 itself (the guest's ping, "is there a native side?", or an advice on no bytes:
0 either way, as DoorbellHost answers every fd_advise). The first real request imports
doorbell_host.py (the protocol, wasmtime's native side and the interp package behind it),
which the guest sends only when it offloads a function (docs/doorbell.md).
"""
from .doorbell_entry import define_fd_advise


class LazyDoorbell:
    def __init__(self, trigger=None):
        self.trigger = trigger    # the checkpoint trigger's host path (tier 2 watches it)
        self.host = None          # doorbell_host.DoorbellHost, at the first request
        self.bound = None

    def install(self, linker, store):
        """Shadow wasi fd_advise in ``linker`` (after define_wasi)."""
        define_fd_advise(linker, store, self.fd_advise)

    def bind(self, instance, store):
        """The selfhost instance, once instantiated (its memory, for the requests)."""
        self.bound = (instance, store)
        if self.host is not None:
            self.host.bind(instance, store)

    def fd_advise(self, caller, fd, offset, length, advice):
        if length == 0:
            return 0
        if self.host is None:
            from .doorbell_host import DoorbellHost
            self.host = DoorbellHost(trigger=self.trigger)
            if self.bound is not None:
                self.host.bind(*self.bound)
        return self.host.fd_advise(caller, fd, offset, length, advice)
