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


class LinkError(WasmError):
    """An import is missing or has an incompatible type (spec: assert_unlinkable)."""


class Trap(WasmError):
    """A Wasm trap. ``message`` is the spec's trap text, e.g. "integer divide by zero"."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class Exit(WasmError):
    """The guest called WASI proc_exit; not an error for a command, just its end."""

    def __init__(self, code):
        super().__init__("exit %d" % code)
        self.code = code
