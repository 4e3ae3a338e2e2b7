"""The errors the embedding API raises. Every one carries a message a user can read."""


class WasmError(Exception):
    """Base of everything interp raises on purpose."""


class ModuleError(WasmError):
    """The module bytes are malformed or the module is invalid. ``offset`` is the byte offset
    in the module where the problem was found (None when unknown)."""

    def __init__(self, message, offset=None):
        super().__init__(message)
        self.message = message
        self.offset = offset

    def __str__(self):
        if self.offset is None:
            return self.message
        return "%s (at byte offset %d / 0x%x)" % (self.message, self.offset, self.offset)


class MalformedError(ModuleError):
    """The bytes do not follow the binary format (spec: assert_malformed)."""


class InvalidError(ModuleError):
    """The module decodes but does not validate (spec: assert_invalid)."""


class UnsupportedFeature(MalformedError):
    """The module uses a Wasm proposal this engine does not implement (SIMD, GC, ...): not a
    broken module, one we cannot run. ``feature`` names the proposal; the message is
    "unsupported feature: NAME". A MalformedError subclass: the bytes are outside what the
    decoder reads, so the spec runner's categories stay as they were."""

    def __init__(self, feature, offset=None):
        super().__init__("unsupported feature: %s" % feature, offset)
        self.feature = feature


class LinkError(WasmError):
    """An import is missing or has an incompatible type (spec: assert_unlinkable)."""


class Trap(WasmError):
    """A Wasm trap. ``message`` is the spec's trap text, e.g. "integer divide by zero"."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class Thrown(WasmError):
    """A Wasm exception (``throw`` / ``throw_ref``) on its way up the call stack; ``exn`` is
    the exception (runtime.Exn). The machine catches it at a matching ``try_table`` handler;
    out of the embedding API (Instance.invoke, a command's ``_start``) it is uncaught."""

    def __init__(self, exn):
        super().__init__("uncaught wasm exception")
        self.message = "uncaught wasm exception"
        self.exn = exn
        # set by the machine while it unwinds (see Machine._run): the frame that raised it is
        # already on Machine.frames, and the call depth then
        self.in_frames = False
        self.depth = 0


class Exit(WasmError):
    """The guest called WASI proc_exit; not an error for a command, just its end."""

    def __init__(self, code):
        super().__init__("exit %d" % code)
        self.code = code
