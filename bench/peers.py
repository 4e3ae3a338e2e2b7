"""Run one exported kernel function in one in-process runtime and time it.

Runtimes (each loads a freestanding NAME.wasm and calls `NAME(size)`):
- interp    selfhost's interpreter on this CPython, through the embedding API
- interp-ckpt  the same under checkpoint control: the checkpoint runner's poll hook installed
            and safe points as often as `--checkpoint-trigger` makes them (a trigger file that
            never appears), so interp-ckpt / interp is the cost of staying checkpointable
- pywasm    pywasm 1.2.3, a pure-Python interpreter (the peer of the design notes)
- wasm3     the wasm3 interpreter in C (PyPI pywasm3)
- wasmtime  native wasmtime (Cranelift) through wasmtime-py

The harness runs every measurement in a child process (`python -m bench.peers ...`, one JSON
line on stdout), so a slow runtime can be killed at its timeout and a crash costs one cell.

    python -m bench.peers RUNTIME WASM EXPORT SIZE [--min-time S] [--max-reps N]
"""
import argparse
import json
import sys
import time

RUNTIMES = ("interp", "interp-ckpt", "pywasm", "wasm3", "wasmtime")
MASK64 = (1 << 64) - 1


class Unavailable(Exception):
    """The runtime cannot be used here (not installed, ...)."""


def signed64(value):
    """Checksums are compared as signed 64-bit integers, whatever a runtime hands back."""
    value = int(value) & MASK64
    return value - (1 << 64) if value >= 1 << 63 else value


# --- loaders: (wasm path, export name) -> callable(size) -> raw result ------------------------

def interp_decode(data):
    """interp.decode(data). Work-around: `interp.decode` (the function) is replaced by the
    submodule interp.decode once that submodule has been imported (the function itself imports
    it), so a second call fails; then do what interp.decode documents it does."""
    import interp
    if callable(interp.decode):
        return interp.decode(data)
    from interp.codemap import CodeMap
    from interp.decode import decode_module
    from interp.validate import validate_module
    module = decode_module(bytes(data))
    module.codemap = CodeMap(validate_module(module))
    return module


def interp_instance(path):
    import interp
    with open(path, "rb") as f:
        return interp.instantiate(interp_decode(f.read()), {})


def load_interp(path, name):
    inst = interp_instance(path)
    return lambda size: inst.invoke(name, size)[0]


def load_interp_ckpt(path, name):
    """interp with the checkpoint session's trigger polling on (selfhost/session.py)."""
    import os
    import tempfile
    import types
    from selfhost import session as runner
    inst = interp_instance(path)
    trigger = os.path.join(tempfile.gettempdir(), "selfhost-bench-never-%d" % os.getpid())
    policy = runner.Policy(trigger_path=trigger)
    controller = runner._Controller(policy, types.SimpleNamespace(checkpoint_requested=False),
                                    inst, {})
    machine = inst.machine
    clock = time.perf_counter
    spent = [0, 0.0]             # polls, seconds inside them

    def poll():
        t0 = clock()
        try:
            return controller.poll()
        finally:
            spent[0] += 1
            spent[1] += clock() - t0
    machine.poll = poll
    machine.check_every = min(machine.check_every, runner.SAFE_POINT_EVERY)

    def call(size):
        spent[:] = [0, 0.0]
        return inst.invoke(name, size)[0]
    call.poll_spent = spent      # of the last call (measure() reports it for the best call)
    return call


def load_pywasm(path, name):
    try:
        import pywasm
    except ImportError:
        raise Unavailable("pywasm not installed (pip install pywasm==1.2.3)") from None
    runtime = pywasm.core.Runtime()
    module = runtime.instance_from_file(str(path))
    return lambda size: runtime.invocate(module, name, [size])[0]


def load_wasm3(path, name):
    try:
        import wasm3
    except ImportError:
        raise Unavailable("wasm3 not installed (pip install pywasm3)") from None
    env = wasm3.Environment()
    rt = env.new_runtime(1 << 20)
    with open(path, "rb") as f:
        rt.load(env.parse_module(f.read()))
    func = rt.find_function(name)
    return lambda size: func(size)


def load_wasmtime(path, name):
    try:
        import wasmtime
    except ImportError:
        raise Unavailable("wasmtime-py not installed") from None
    store = wasmtime.Store()
    module = wasmtime.Module.from_file(store.engine, str(path))
    inst = wasmtime.Instance(store, module, [])
    func = inst.exports(store)[name]
    return lambda size: func(store, size)


LOADERS = {"interp": load_interp, "interp-ckpt": load_interp_ckpt, "pywasm": load_pywasm, "wasm3": load_wasm3,
           "wasmtime": load_wasmtime}


def measure(runtime, path, name, size, min_time=1.0, max_reps=5):
    """Load the module, then call the kernel until min_time seconds have been spent in it (or
    max_reps calls); return load time, the best call time, all call times and the checksum."""
    t0 = time.perf_counter()
    call = LOADERS[runtime](path, name)
    load_seconds = time.perf_counter() - t0
    times = []
    checksum = None
    polls = None
    while True:
        t0 = time.perf_counter()
        result = call(size)
        times.append(time.perf_counter() - t0)
        spent = getattr(call, "poll_spent", None)
        if spent is not None and times[-1] == min(times):
            polls = {"polls": spent[0], "poll_seconds": spent[1]}
        value = signed64(result)
        if checksum is not None and value != checksum:
            raise RuntimeError("checksum changed between calls: %d then %d" % (checksum, value))
        checksum = value
        if sum(times) >= min_time or len(times) >= max_reps:
            break
    # what a call that does (almost) nothing costs: the embedding's own overhead per call
    empty = []
    for _ in range(5):
        t0 = time.perf_counter()
        call(0)
        empty.append(time.perf_counter() - t0)
    out = {"seconds": min(times), "times": times, "load_seconds": load_seconds,
           "empty_call_seconds": min(empty), "checksum": checksum}
    if polls is not None:
        out.update(polls)
    return out


def count_instructions(path, name, size):
    """Wasm instructions executed by NAME(size), counted with wasmtime's fuel meter: one unit
    per operator, except that nop, drop, block, loop, end and else cost nothing."""
    import wasmtime
    config = wasmtime.Config()
    config.consume_fuel = True
    engine = wasmtime.Engine(config)
    store = wasmtime.Store(engine)
    budget = 10 ** 15
    store.set_fuel(budget)
    inst = wasmtime.Instance(store, wasmtime.Module.from_file(engine, str(path)), [])
    inst.exports(store)[name](store, size)
    return budget - store.get_fuel()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.peers")
    parser.add_argument("runtime", choices=RUNTIMES + ("count",))
    parser.add_argument("wasm")
    parser.add_argument("export")
    parser.add_argument("size", type=int)
    parser.add_argument("--min-time", type=float, default=1.0)
    parser.add_argument("--max-reps", type=int, default=5)
    args = parser.parse_args(argv)
    try:
        if args.runtime == "count":
            out = {"instructions": count_instructions(args.wasm, args.export, args.size)}
        else:
            out = measure(args.runtime, args.wasm, args.export, args.size, args.min_time,
                          args.max_reps)
    except Unavailable as e:
        out = {"unavailable": str(e)}
    except Exception as e:  # reported in the table, not fatal for the run
        out = {"error": "%s: %s" % (type(e).__name__, e)}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
