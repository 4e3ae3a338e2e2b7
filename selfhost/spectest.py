"""Run the official WebAssembly spec test suite's scripts, as JSON from `wast2json`.

The runner's core is part of the selfhost program (standard library only) so that it is compiled
into selfhost.wasm too: `selfhost.wasm --spec-json SCRIPT.json ...` runs scripts inside any host, which
checks the interpreter *as built*, on the host's own libc and float behaviour, not just on the
CPython it was developed on. tests/spec.py adds the wast2json conversion and its cache, file
selection and timeouts around it (`python -m tests.spec`).

Counting: every assertion (assert_return, assert_trap, assert_exhaustion, assert_invalid,
assert_malformed, assert_unlinkable, assert_uninstantiable, assert_exception) counts as passed,
failed or skipped (text-format assert_malformed is skipped: there is no text parser). The other commands (module,
register, action) are not counted when they work, and count as one failure when they do not.
"""
import json
import os

from interp.errors import LinkError, MalformedError, InvalidError, ModuleError, Thrown, Trap
from interp.module import FuncType
from interp.opcodes import I32, I64, F32, F64, FUNCREF
from interp.values import (f32_from_bits, f32_to_bits, f32_round, f64_from_bits, f64_to_bits,
                     to_signed32, to_signed64)

ASSERTIONS = ("assert_return", "assert_trap", "assert_exhaustion", "assert_invalid",
              "assert_malformed", "assert_unlinkable", "assert_uninstantiable",
              "assert_exception")

F32_CANONICAL = 0x7FC00000
F64_CANONICAL = 0x7FF8000000000000


class UsageError(Exception):
    """Bad command line or environment (the interp API lacks what the runner needs...):
    reported as one line, exit code 2."""


class CommandFailed(Exception):
    """One command did not do what the script expects; the message says what happened."""


class FileTimeout(BaseException):
    """Raised by the --timeout alarm. A BaseException so the per-command handlers let it pass."""


class ExternRef:
    """A host externref value as the spec scripts write it: `ref.extern N`. Compares by number."""
    __slots__ = ("n",)

    def __init__(self, n):
        self.n = n

    def __eq__(self, other):
        return isinstance(other, ExternRef) and other.n == self.n

    def __hash__(self):
        return hash(("ExternRef", self.n))

    def __repr__(self):
        return "ref.extern %d" % self.n


# ---------------------------------------------------------------------------------------------
# values: JSON <-> API

def parse_value(v):
    """A JSON argument {"type": ..., "value": ...} -> the API-boundary Python value."""
    t = v["type"]
    value = v.get("value")
    if t == "i32":
        return to_signed32(int(value))
    if t == "i64":
        return to_signed64(int(value))
    if t == "f32":
        return f32_from_bits(int(value))
    if t == "f64":
        return f64_from_bits(int(value))
    if t == "externref":
        return None if value == "null" else ExternRef(int(value))
    if t == "funcref":
        if value == "null":
            return None
        raise CommandFailed("cannot pass a non-null funcref argument")
    raise CommandFailed("unsupported value type %r" % t)


def format_expected(v):
    t = v["type"]
    value = v.get("value")
    if value is None:
        return t
    if t in ("i32", "i64") or str(value).startswith("nan:") or value == "null":
        return "%s:%s" % (t, value)
    if t == "f32":
        bits = int(value)
        return "f32:%r (0x%08x)" % (f32_from_bits(bits), bits)
    if t == "f64":
        bits = int(value)
        return "f64:%r (0x%016x)" % (f64_from_bits(bits), bits)
    return "%s:%s" % (t, value)


def format_got(x):
    if isinstance(x, float):
        return "%r (f32 0x%08x / f64 0x%016x)" % (x, f32_to_bits(x), f64_to_bits(x))
    return repr(x)


def check_value(expected, got):
    """None if `got` (an API value) matches the JSON `expected`, else a short reason."""
    t = expected["type"]
    value = expected.get("value")
    if t in ("i32", "i64"):
        if isinstance(got, bool) or not isinstance(got, int):
            return "not an int"
        want = to_signed32(int(value)) if t == "i32" else to_signed64(int(value))
        if got != want:
            lo, hi = (-(1 << 31), 1 << 31) if t == "i32" else (-(1 << 63), 1 << 63)
            if lo <= got < hi:
                return "wrong value"
            return "out of the signed %s range" % t
        return None
    if t in ("f32", "f64"):
        if not isinstance(got, float):
            return "not a float"
        if t == "f32":
            if got == got and f32_round(got) != got:
                return "not an f32 value (a double that f32 cannot represent)"
            bits = f32_to_bits(got)
            sign, canonical, quiet = 0x80000000, F32_CANONICAL, F32_CANONICAL
        else:
            bits = f64_to_bits(got)
            sign, canonical, quiet = 1 << 63, F64_CANONICAL, F64_CANONICAL
        if value == "nan:canonical":
            return None if bits & ~sign == canonical else "not a canonical NaN"
        if value == "nan:arithmetic":
            return None if bits & quiet == quiet else "not an arithmetic NaN"
        return None if bits == int(value) else "wrong bits"
    if t == "externref":
        if value is None:
            return None if got is not None else "null"
        if value == "null":
            return None if got is None else "not null"
        return None if got == ExternRef(int(value)) else "wrong externref"
    if t == "funcref":
        if value == "null":
            return None if got is None else "not null"
        return None if got is not None else "null"   # ref.func: any non-null function
    return "unsupported expected type %r" % t


def check_results(expected, got):
    """None if the result list matches, else a message with expected vs got."""
    reasons = []
    if len(expected) != len(got):
        reasons.append("%d results instead of %d" % (len(got), len(expected)))
    else:
        for i, (e, g) in enumerate(zip(expected, got)):
            r = check_value(e, g)
            if r:
                reasons.append("result %d: %s" % (i, r))
    if not reasons:
        return None
    return "expected [%s], got [%s]: %s" % (", ".join(format_expected(e) for e in expected),
                                            ", ".join(format_got(g) for g in got),
                                            "; ".join(reasons))


# ---------------------------------------------------------------------------------------------
# the interpreter API and the spectest module

class Api:
    """The interp entry points the runner uses (a separate object so tests can substitute).
    ``config``: the engine Config for every instance (default: from the SELFHOST_* variables,
    selfhost/config.py). ``stats`` sums the tier-1 compile counts of the scripts run so far."""

    def __init__(self, mod=None, max_call_depth=None, config=None):
        if mod is None:
            import interp as mod
        if config is None:
            from .config import engine_config
            config = engine_config(os.environ, max_call_depth)
        self.config = config
        self.stats = {}
        self._modules = []
        missing = [n for n in ("decode", "instantiate", "HostFunc", "Memory", "Table", "Global")
                   if not hasattr(mod, n)]
        if missing:
            raise UsageError("interp does not provide %s yet" % ", ".join(missing))
        for n in ("decode", "instantiate"):
            if not callable(getattr(mod, n)):
                raise UsageError("interp.%s is not callable (a submodule of the same name "
                                 "shadows the function?)" % n)
        self._decode = mod.decode
        self._instantiate = mod.instantiate
        self.max_call_depth = max_call_depth
        self.HostFunc = mod.HostFunc
        self.Memory = mod.Memory
        self.Table = mod.Table
        self.Global = mod.Global

    def decode(self, data):
        module = self._decode(data)
        self._modules.append(module)
        return module

    def instantiate(self, module, imports):
        from interp.machine import Machine
        return self._instantiate(module, imports, machine=Machine(self.config))

    def end_script(self):
        """Add the tier-1 compile counts of the script's modules to ``stats`` and let go."""
        for module in self._modules:
            codemap = getattr(module, "codemap", None)
            for k, v in (codemap.stats.items() if codemap is not None else ()):
                self.stats[k] = self.stats.get(k, 0) + v
        self._modules = []


def make_spectest(api):
    """The `spectest` host module the scripts import from (a fresh one per script)."""
    def host(params):
        return api.HostFunc(FuncType(tuple(params), ()), lambda *args: None)
    return {
        "print": host(()),
        "print_i32": host((I32,)),
        "print_i64": host((I64,)),
        "print_f32": host((F32,)),
        "print_f64": host((F64,)),
        "print_i32_f32": host((I32, F32)),
        "print_f64_f64": host((F64, F64)),
        "global_i32": api.Global(I32, False, 666),
        "global_i64": api.Global(I64, False, 666),
        "global_f32": api.Global(F32, False, f32_round(666.6)),
        "global_f64": api.Global(F64, False, 666.6),
        "table": api.Table(FUNCREF, 10, 20),
        "memory": api.Memory(1, 2),
    }


# ---------------------------------------------------------------------------------------------
# running one script

class FileResult:
    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.failures = []        # "line N: command: message"
        self.wrong_category = []  # assert_invalid/assert_malformed that raised the other kind

    def line(self):
        return "%s: %d passed, %d failed, %d skipped" % (self.name, self.passed, self.failed,
                                                         self.skipped)


def _error_text(exc):
    return getattr(exc, "message", None) or str(exc)


def _describe(cmd):
    t = cmd["type"]
    action = cmd.get("action")
    if action:
        args = ", ".join(format_expected(a) for a in action.get("args", []))
        where = action.get("module")
        field = action.get("field", "?")
        if not field.isprintable():
            field = ascii(field)
        name = ("%s." % where if where else "") + field
        if action["type"] == "get":
            return "%s get %s" % (t, name)
        return "%s invoke %s(%s)" % (t, name, args)
    if "filename" in cmd:
        return "%s %s" % (t, cmd["filename"])
    if t == "register":
        return "register %r" % cmd.get("as")
    return t


class ScriptRunner:
    def __init__(self, json_path, api, name=None):
        self.json_path = json_path
        self.dir = os.path.dirname(json_path)
        self.api = api
        self.result = FileResult(name or os.path.basename(json_path))
        self.current = None       # the last module's instance (None if it failed)
        self.current_line = None
        self.named = {}           # "$name" -> instance or None
        self.registry = {}        # import module name -> exports
        self.spectest = None

    # -- helpers --------------------------------------------------------------------------
    def imports(self):
        d = {"spectest": self.spectest}
        d.update(self.registry)
        return d

    def read_module(self, cmd):
        path = os.path.join(self.dir, cmd["filename"])
        try:
            with open(path, "rb") as f:
                return f.read()
        except OSError as e:
            raise CommandFailed("cannot read %s: %s" % (cmd["filename"], e.strerror))

    def instance_for(self, name):
        if name is None:
            if self.current is None:
                if self.current_line is None:
                    raise CommandFailed("no module defined yet")
                raise CommandFailed("the module at line %d did not load" % self.current_line)
            return self.current
        if name not in self.named:
            raise CommandFailed("no module named %s" % name)
        if self.named[name] is None:
            raise CommandFailed("module %s did not load" % name)
        return self.named[name]

    def do_action(self, action):
        inst = self.instance_for(action.get("module"))
        field = action["field"]
        if action["type"] == "invoke":
            args = [parse_value(a) for a in action.get("args", [])]
            results = inst.invoke(field, *args)
            return list(results) if results is not None else []
        if action["type"] == "get":
            return [inst.exports[field].value]
        raise CommandFailed("unknown action type %r" % action["type"])

    def expect_trap(self, cmd, run):
        """Run `run()`; it must raise Trap whose message starts with cmd["text"]."""
        want = cmd.get("text", "")
        try:
            results = run()
        except Trap as e:
            msg = _error_text(e)
            if not msg.startswith(want):
                raise CommandFailed("expected trap %r, got trap %r" % (want, msg))
            return
        raise CommandFailed("expected trap %r, got results %s"
                            % (want, "[%s]" % ", ".join(format_got(r) for r in results)
                               if isinstance(results, list) else "(instantiated)"))

    # -- commands -------------------------------------------------------------------------
    def cmd_module(self, cmd):
        name = cmd.get("name")
        self.current = None
        self.current_line = cmd.get("line")
        if name:
            self.named[name] = None
        data = self.read_module(cmd)
        inst = self.api.instantiate(self.api.decode(data), self.imports())
        self.current = inst
        if name:
            self.named[name] = inst

    def cmd_register(self, cmd):
        inst = self.instance_for(cmd.get("name"))
        self.registry[cmd["as"]] = inst.exports

    def cmd_action(self, cmd):
        self.do_action(cmd["action"])

    def cmd_assert_return(self, cmd):
        got = self.do_action(cmd["action"])
        msg = check_results(cmd.get("expected", []), got)
        if msg:
            raise CommandFailed(msg)

    def cmd_assert_trap(self, cmd):
        self.expect_trap(cmd, lambda: self.do_action(cmd["action"]))

    cmd_assert_exhaustion = cmd_assert_trap

    def cmd_assert_exception(self, cmd):
        """The action must end in an uncaught Wasm exception (exception handling)."""
        try:
            results = self.do_action(cmd["action"])
        except Thrown:
            return
        except Trap as e:
            raise CommandFailed("expected an uncaught exception, got trap %r" % _error_text(e))
        raise CommandFailed("expected an uncaught exception, got results [%s]"
                            % ", ".join(format_got(r) for r in results))

    def _expect_module_error(self, cmd, category):
        data = self.read_module(cmd)
        try:
            self.api.decode(data)
        except ModuleError as e:
            if not isinstance(e, category):
                self.result.wrong_category.append(
                    "line %s: %s: expected %s %r, got %s %r"
                    % (cmd.get("line"), cmd["type"], category.__name__, cmd.get("text"),
                       type(e).__name__, _error_text(e)))
            return
        raise CommandFailed("expected %s %r, but the module decoded and validated"
                            % (category.__name__, cmd.get("text")))

    def cmd_assert_invalid(self, cmd):
        self._expect_module_error(cmd, InvalidError)

    def cmd_assert_malformed(self, cmd):
        self._expect_module_error(cmd, MalformedError)

    def _decode_ok(self, cmd):
        data = self.read_module(cmd)
        try:
            return self.api.decode(data)
        except ModuleError as e:
            raise CommandFailed("the module should decode, got %s %r"
                                % (type(e).__name__, _error_text(e)))

    def cmd_assert_unlinkable(self, cmd):
        module = self._decode_ok(cmd)
        try:
            self.api.instantiate(module, self.imports())
        except LinkError:
            return
        except Trap as e:
            raise CommandFailed("expected LinkError %r, got Trap %r"
                                % (cmd.get("text"), _error_text(e)))
        raise CommandFailed("expected LinkError %r, but it instantiated" % cmd.get("text"))

    def cmd_assert_uninstantiable(self, cmd):
        module = self._decode_ok(cmd)
        self.expect_trap(cmd, lambda: self.api.instantiate(module, self.imports()))

    # -- the loop -------------------------------------------------------------------------
    def run(self, timeout=None):
        res = self.result
        try:
            with open(self.json_path) as f:
                commands = json.load(f)["commands"]
        except (OSError, ValueError, KeyError) as e:
            res.failed += 1
            res.failures.append("cannot read %s: %s" % (self.json_path, e))
            return res
        try:
            self.spectest = make_spectest(self.api)
        except Exception as e:
            res.failed += 1
            res.failures.append("cannot create the spectest module: %s: %s"
                                % (type(e).__name__, e))
            return res

        old_handler = None
        if timeout:
            import signal          # only natively: selfhost.wasm runs scripts without timeouts

            def on_alarm(signum, frame):
                raise FileTimeout()
            old_handler = signal.signal(signal.SIGALRM, on_alarm)
            signal.setitimer(signal.ITIMER_REAL, timeout)
        i = 0
        try:
            for i, cmd in enumerate(commands):
                self.run_command(cmd)
        except FileTimeout:
            rest = commands[i:]
            n = 1 + sum(1 for c in rest[1:] if c["type"] in ASSERTIONS
                        and not (c["type"] == "assert_malformed"
                                 and c.get("module_type") == "text"))
            res.failed += n
            res.failures.append("line %s: %s: timed out after %ss; %d commands not run"
                                % (commands[i].get("line"), _describe(commands[i]), timeout,
                                   len(rest)))
        finally:
            if timeout:
                import signal
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, old_handler)
            end = getattr(self.api, "end_script", None)   # (test doubles may lack it)
            if end is not None:
                end()
        return res

    def run_command(self, cmd):
        res = self.result
        t = cmd.get("type")
        if t == "assert_malformed" and cmd.get("module_type") == "text":
            res.skipped += 1
            return
        handler = getattr(self, "cmd_" + str(t), None)
        try:
            if handler is None:
                raise CommandFailed("unknown command type")
            handler(cmd)
        except CommandFailed as e:
            msg = str(e)
        except Exception as e:  # anything escaping the interpreter fails just this command
            msg = "%s: %s" % (type(e).__name__, _error_text(e))
        else:
            if t in ASSERTIONS:
                res.passed += 1
            return
        res.failed += 1
        res.failures.append("line %s: %s: %s" % (cmd.get("line"), _describe(cmd), msg))


def run_scripts(json_paths, out, verbose=False):
    """Run each script, print one line per script and the total to ``out``; the total
    FileResult. A script's name is its file name (so a .json reports as name.wast)."""
    api = Api()
    total = FileResult("total")
    for path in json_paths:
        name = os.path.splitext(os.path.basename(path))[0] + ".wast"
        res = ScriptRunner(path, api, name).run()
        out.write(res.line() + "\n")
        if verbose:
            for f in res.failures:
                out.write("    %s\n" % f)
        total.passed += res.passed
        total.failed += res.failed
        total.skipped += res.skipped
    out.write("%d passed, %d failed, %d skipped\n" % (total.passed, total.failed, total.skipped))
    return total
