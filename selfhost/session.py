"""One run of an app under checkpoint control: start or restore, triggers, snapshots, stats.

The command line (cli.py) hands ``run_app`` the module bytes, the app's argv/env/dirs, an engine
Config, a Policy (what the user asked for) and RunOptions. A command (``_start``) runs in a loop
driven by the machine's ``poll`` hook: the machine runs until the app exits, or until a trigger
asks for a checkpoint at a safe point; then the snapshot is written atomically and the app either
stops (exit code 75, exit_codes.CHECKPOINTED) or goes on (``--checkpoint-continue``).

Triggers (all checked from the machine's ``poll`` hook, which runs at safe points every
``check_every`` back-edges/calls; the file check is rate-limited by the clock):
- a trigger file (``Policy.trigger_path``): when it exists, checkpoint and delete it;
- a timer (``Policy.after_seconds``): once, after that long;
- the guest's own request: writing to a file named ``.selfhost-checkpoint`` (interp/wasi sets
  ``wasi.checkpoint_requested``).

Failures the user must fix raise ``RunError`` (cli.py prints its one line, exit 1); traps,
exits and engine errors pass through as interp's exceptions.
"""
import json
import os
import sys
import time
from dataclasses import dataclass
from typing import Optional

import interp
from checkpoint import wasi_state
from checkpoint.against_module import memory_limits
from checkpoint.capture import capture, module_sha256, restore
from checkpoint.snapshot import SnapshotError
from checkpoint.store import Place, read_snapshot, write_snapshot
from interp import errors
from interp.errors import Exit
from interp.machine import Machine, Suspended
from interp.profile import profile_stats
from interp.wasi import WASI

from . import exit_codes

TRIGGER_POLL_SECONDS = 0.002    # how often the trigger file is looked for, at most
SAFE_POINT_EVERY = 2000         # back-edges/calls between two safe points (bounds the latency)


class RunError(Exception):
    """The run cannot go on for a reason the user must fix (one line, exit 1)."""


@dataclass
class RunOptions:
    """What to run and how, besides the checkpoint Policy (cli.py fills it from its options)."""
    invoke: Optional[str] = None           # --invoke NAME: call one export instead of _start
    restore: Optional[str] = None          # --restore SNAP
    wait_for_snapshot: bool = False        # --wait-for-snapshot: SNAP appears later
    offload: str = "auto"                  # --offload auto|off
    offload_threshold: Optional[int] = None
    explicit_call_depth: bool = False      # --max-call-depth given: offload off
    profile: bool = False                  # --profile
    trace: Optional[str] = None            # --trace PATH
    parse_args: object = None              # (valtypes, texts) -> values, for --invoke
    print_results: object = None           # (valtypes, values) -> None, for --invoke
    unknown_imports: Optional[str] = None  # --unknown-imports trap|default (see stub_imports)


class Policy:
    """What the user asked for on the command line."""

    def __init__(self, snapshot_path="selfhost.snap", trigger_path=None, after_seconds=None,
                 keep_running=False, stats_path=None, created_by="", dir_origins=None):
        self.snapshot_path = snapshot_path
        self.trigger_path = trigger_path
        self.after_seconds = after_seconds
        self.keep_running = keep_running
        self.stats_path = stats_path
        self.created_by = created_by
        self.dir_origins = dict(dir_origins or {})   # guest dir -> the user's host path
        self.places = {}                             # output -> store.Place, while running
        self.startup = None     # start-up phase -> time.time() when it ended (--stats "startup")

    def pin(self):
        """Open the output files' directories now, before the guest runs (store.Place)."""
        self.places = {"snapshot": Place(self.snapshot_path)}
        if self.stats_path:
            self.places["stats"] = Place(self.stats_path)

    def unpin(self):
        for place in self.places.values():
            place.close()
        self.places = {}


class _Controller:
    """The poll hook and the bookkeeping of one run."""

    def __init__(self, policy, wasi, instance, stats, then=()):
        self.policy = policy
        self.wasi = wasi
        self.instance = instance
        self.stats = stats
        self.then = list(then)   # exports still to call once the running one returns
        self.started = time.monotonic()
        self.next_file_check = 0.0
        self.timer_done = policy.after_seconds is None
        self.checkpoints = 0

    def wanted(self):
        """Is a checkpoint asked for right now? (consumes the request)"""
        if getattr(self.wasi, "checkpoint_requested", False):
            self.wasi.checkpoint_requested = False
            self.stats["trigger"] = "guest"
            return True
        now = time.monotonic()
        if not self.timer_done and now - self.started >= self.policy.after_seconds:
            self.timer_done = True
            self.stats["trigger"] = "timer"
            return True
        path = self.policy.trigger_path
        if path is not None and now >= self.next_file_check:
            self.next_file_check = now + TRIGGER_POLL_SECONDS
            if os.path.exists(path):
                try:
                    os.remove(path)
                except OSError:
                    pass
                self.stats["trigger"] = "file"
                return True
        return False

    def stop_conditions(self):
        """Machine.stop_conditions: the timer's deadline (wall clock, a millisecond late so
        that ``wanted`` agrees once the native side stops for it) and whether a trigger file
        counts. The next ``wanted`` looks at the file at once: the native side may have seen it."""
        self.next_file_check = 0.0
        deadline = None
        if not self.timer_done:
            left = self.policy.after_seconds - (time.monotonic() - self.started)
            deadline = time.time() + max(0.0, left) + 1e-3
        return deadline, self.policy.trigger_path is not None

    def poll(self):
        if not self.wanted():
            return False
        if self.policy.keep_running and self.instance.machine.at_safe_point():
            self.checkpoint(self.instance.machine.capture())   # from inside the safe point
            return False
        # stop: the loop raises Suspended (asked by native code, tier 2: it unwinds first;
        # with --checkpoint-continue _drive then resumes, rewinding into native code)
        return True

    def checkpoint(self, frames):
        t0 = time.monotonic()
        self.wasi.flush()
        stats = {"checkpoints": self.checkpoints + 1}
        if self.then:   # (a checkpoint inside _initialize: _start is still to run)
            stats["then"] = list(self.then)
        profile = profile_stats(self.instance.module)
        if profile is not None:
            stats["profile"] = profile
        wasi = wasi_state.to_json(self.wasi.state(), self.policy.dir_origins)
        snap = capture(frames, self.instance, wasi=wasi, stats=stats,
                       created_by=self.policy.created_by)
        t1 = time.monotonic()
        try:
            size = write_snapshot(self.policy.places.get("snapshot", self.policy.snapshot_path),
                                  snap)
        except SnapshotError as e:   # unwritable (the message names the path) or unencodable
            raise RunError(str(e)) from None
        t2 = time.monotonic()
        self.checkpoints += 1
        self.stats.update({"capture_seconds": t1 - t0, "write_seconds": t2 - t1,
                           "snapshot_bytes": size,
                           "memory_bytes": sum(len(m.data) for m in self.instance.mems),
                           "frames": len(frames), "checkpointed_at": time.time(),
                           "checkpoints": self.checkpoints})


def _drive(controller, start):
    """Run ``start()`` (a call or a resume) to the end, checkpointing when asked."""
    machine = controller.instance.machine
    machine.poll = controller.poll
    machine.stop_conditions = controller.stop_conditions
    controller.wasi.on_checkpoint_request = lambda: setattr(machine, "safe_point_soon", True)
    machine.check_every = min(machine.check_every, SAFE_POINT_EVERY)
    run = start
    while True:
        try:
            run()
            return 0
        except Exit as e:
            return e.code
        except Suspended as s:
            controller.checkpoint(s.frames)
            if not controller.policy.keep_running:
                return exit_codes.CHECKPOINTED
            run = lambda frames=s.frames: machine.resume(frames)


def _write_stats(policy, stats):
    if policy.stats_path:
        if policy.startup is not None:
            stats["startup"] = policy.startup
        place = policy.places.get("stats") or Place(policy.stats_path)
        try:
            place.write([json.dumps(stats, indent=1, sort_keys=True).encode()], sync=False)
        except OSError as e:
            raise RunError("cannot write --stats %s: %s" % (policy.stats_path,
                                                            e.strerror or e)) from None
        finally:
            if place is not policy.places.get("stats"):
                place.close()


def _call_entries(controller, names):
    """Call the exports `names` in order (``_initialize``, then ``_start``), each under the
    controller; returns the first non-zero exit code, or 0."""
    instance = controller.instance
    for n, name in enumerate(names):
        controller.then = list(names[n + 1:])
        code = _drive(controller, lambda name=name: instance.invoke(name))
        if code:
            return code
    controller.then = []
    return 0


def run_command(instance, wasi, policy, entries=("_start",)):
    """Run a WASI program (``instance`` made with ``wasi``'s imports, bound) under ``policy``:
    its ``entries`` in order (as the wasmtime CLI does: ``_initialize`` when exported, then
    ``_start`` when exported); return the exit code."""
    stats = {"phase": "run", "started_at": time.time()}
    controller = _Controller(policy, wasi, instance, stats)
    try:
        return _call_entries(controller, list(entries))
    finally:
        stats["ended_at"] = time.time()
        _write_stats(policy, stats)


def stub_imports(module, imports, mode):
    """``imports`` plus, for every function import they do not provide, a stub (wasmtime's
    ``-W unknown-imports-trap=y`` / ``unknown-imports-default=y``): mode "trap" fails the run
    when the stub is called (wasmtime's message, exit 1), "default" returns zeros. None: as
    given (the link error names the first missing import)."""
    if mode is None:
        return imports
    from interp.lower import _ZERO
    out = {m: dict(names) for m, names in imports.items()}
    for imp in module.imports:
        if imp.kind != "func" or imp.name in out.get(imp.module, {}):
            continue
        ftype = module.types[imp.desc]
        what = "%s::%s" % (imp.module, imp.name)
        if mode == "trap":
            def stub(*args, what=what):
                raise errors.LinkError("unknown import: `%s` has not been defined" % what)
        else:
            zeros = [_ZERO[t] for t in ftype.results]
            zeros = zeros[0] if len(zeros) == 1 else zeros or None

            def stub(*args, zeros=zeros):
                return zeros
        out.setdefault(imp.module, {})[imp.name] = interp.HostFunc(ftype, stub)
    return out


def load_snapshot(path, module):
    """Read and check a snapshot file for ``module`` (raises checkpoint.SnapshotError)."""
    return read_snapshot(path, expected_module_sha256=module_sha256(module),
                         memory_limits=memory_limits(module))


def restore_command(module, snapshot, wasi, policy, preopens, config=None, unknown_imports=None):
    """Resume ``snapshot`` (already read and checked) with a fresh instance of ``module``; the
    WASI object gets the snapshot's state with its preopens mapped onto ``preopens``."""
    t0 = time.monotonic()
    stats = {"phase": "restore", "started_at": time.time()}
    state = wasi_state.from_json(snapshot.wasi, preopens)
    try:
        wasi.restore_state(state)
    except OSError as e:
        raise RunError("cannot reopen a file the snapshot's app had open: %s%s"
                       % (e.strerror or e, ": %s" % e.filename if e.filename else "")) from None
    machine = Machine(config)
    instance, frames = restore(snapshot, module,
                               stub_imports(module, wasi.imports(), unknown_imports),
                               machine=machine, consume=True)
    if "memory" in instance.exports:
        wasi.bind(instance)
    stats["restore_seconds"] = time.monotonic() - t0
    stats["resumed_at"] = time.time()
    then = [str(n) for n in snapshot.stats.get("then", [])]
    controller = _Controller(policy, wasi, instance, stats, then)
    try:
        return _drive(controller, lambda: machine.resume(frames)) or \
            _call_entries(controller, then)
    finally:
        stats["ended_at"] = time.time()
        _write_stats(policy, stats)


def run_app(data, name, app_args, env, preopens, config, policy, opts, native_side=None):
    """Decode ``data`` and run it as ``opts`` say (a command, a restore, or one --invoke);
    return the exit code."""
    wasi = WASI([name] + list(app_args), env, preopens)
    policy.pin()
    try:
        try:
            module = interp.decode(data)
        except errors.UnsupportedFeature as e:   # not broken: a proposal we do not run
            raise RunError("%s: %s" % (name, e)) from None
        except errors.ModuleError as e:
            raise RunError("%s: invalid module: %s" % (name, e)) from None
        _mark(policy, "decoded")
        # an explicit --max-call-depth must hold, and an offloaded recursion would run to the
        # native engine's own stack limit instead: that limit turns offload off
        if opts.offload != "off" and opts.trace is None and not opts.explicit_call_depth:
            _attach_offload(module, opts.offload_threshold, native_side, opts.offload)
        _mark(policy, "offload")
        tracer = None
        if opts.trace is not None:
            from interp.profile import Tracer
            try:
                tracer = Tracer(module, opts.trace).attach()
            except OSError as e:
                raise RunError("cannot write %s: %s" % (opts.trace, e.strerror or e)) from None
        elif opts.profile:
            from interp.profile import Profile
            Profile(module).attach()
        try:
            return _run_module(module, name, app_args, wasi, preopens, config, policy, opts)
        finally:
            if tracer is not None:
                tracer.close()
            elif opts.profile and sys.stderr is not None:
                module.codemap.profile.report(sys.stderr)
                sys.stderr.flush()
    except (errors.Trap, errors.Thrown):
        wasi.flush()
        raise
    finally:
        wasi.close()
        policy.unpin()


def wait_for_file(path, interval=0.002):
    """Return once ``path`` exists. Snapshots are renamed into place whole, so once it is
    there it is complete; the launcher that asked for the wait ends it by killing this process
    when no snapshot will come (the source finished first)."""
    while not os.path.exists(path):
        time.sleep(interval)


def _mark(policy, phase):
    if policy.startup is not None:
        policy.startup[phase] = time.time()


def _run_module(module, name, app_args, wasi, preopens, config, policy, opts):
    exports = {exp.name: exp.kind for exp in module.exports}
    entries = [e for e in ("_initialize", "_start") if exports.get(e) == "func"]
    if opts.invoke is None and opts.restore is None and not entries:
        raise RunError("%s: no exported function _start (a WASI command) nor _initialize; use "
                       "--invoke NAME to call a function" % name)
    if opts.invoke is not None and exports.get(opts.invoke) != "func":
        raise RunError("%s: no exported function %r" % (name, opts.invoke))
    if opts.restore is not None:
        if opts.wait_for_snapshot:
            wait_for_file(opts.restore)
        _mark(policy, "snapshot_seen")
        try:
            snap = load_snapshot(opts.restore, module)
            return restore_command(module, snap, wasi, policy, preopens, config,
                                   opts.unknown_imports)
        except (SnapshotError, ValueError) as e:
            raise RunError(str(e)) from None
    try:
        instance = interp.instantiate(module,
                                      stub_imports(module, wasi.imports(), opts.unknown_imports),
                                      machine=Machine(config))
    except errors.LinkError as e:
        raise RunError("%s: link error: %s" % (name, e)) from None
    if "memory" in instance.exports:
        wasi.bind(instance)
    _mark(policy, "instantiated")
    if opts.invoke is None:
        return run_command(instance, wasi, policy, entries)
    func = instance.exports[opts.invoke]
    args = opts.parse_args(opts.invoke, func.type.params, app_args)
    if exports.get("_initialize") == "func":
        instance.invoke("_initialize")
    results = instance.invoke(opts.invoke, *args)
    wasi.flush()
    opts.print_results(func.type.results, results)
    return exit_codes.OK


def _attach_offload(module, threshold, native_side, mode="auto"):
    """Attach an Offloader when a native side is available: the one the host passed in
    (``native_side``, on CPython), or inside selfhost.wasm a launcher that answers the doorbell
    (doorbell.py); else nothing (everything is interpreted). ``mode``: "auto" (plain offload),
    "tier2" (the native side runs the instrumented app: checkpoints inside native code),
    "imports" (tier 2, and functions that call imports run natively too)."""
    from interp.offload import DEFAULT_THRESHOLD, Offloader, analyze, applies
    if native_side is None and vars(sys).get("platform") != "wasi":
        return None              # no native side can exist: the analysis would go unused
    imports = mode == "imports"
    analysis = analyze(module, imports=True) if imports else applies(module)
    if analysis is None or not analysis.offloadable:   # nothing to offload: no native side
        return None
    if native_side is not None:
        if mode == "auto":
            return native_side(module, threshold)
        return native_side(module, threshold, imports=imports, tier2=True)
    from .doorbell import DoorbellNative, DoorbellTier2
    if mode == "auto":
        native = DoorbellNative.connect(module)
    else:
        # imports: every imported function's calls unwind to selfhost's own imports
        unwind = range(len(module.imported("func"))) if imports else ()
        native = DoorbellTier2.connect(module, analysis.offloadable, unwind)
    if native is None:
        return None
    return Offloader(module, native, DEFAULT_THRESHOLD if threshold is None else threshold,
                     analysis=analysis).attach()
