"""Let Nuitka's main() return after the entry script's body, for the pre-initialization.

Pre-initializing selfhost.wasm (tools/shims/preinit.c) runs Nuitka's main() at build time up to
and including the entry script's module body, and then needs main() to *return* with CPython
still alive, so that wizer can snapshot it; unpatched, main() goes on to Py_Exit(). This adds,
right after main() has executed the main module:

    if (selfhost_preinit_stop && selfhost_preinit_stop()) return 0;

``selfhost_preinit_stop`` is declared weak: a program linked without tools/shims/preinit.c (any
other py2wasm build on the machine) does not define it and runs exactly as before.

It edits ``nuitka/build/static_src/MainProgram.c`` of the installed py2wasm in place; it is
idempotent and prints what it did.

    python tools/patch_nuitka_preinit.py [--check] [--file PATH]

--check: change nothing; exit 1 if the file still needs the patch.
"""
import argparse
import os
import sys

MARK = "/* selfhost preinit v1 (tools/patch_nuitka_preinit.py) */"
DECLARATION = (MARK + "\nextern int selfhost_preinit_stop(void) __attribute__((weak));\n")
# the declaration goes in front of main()'s definition, which starts with this line
BEFORE_MAIN = "#ifdef _NUITKA_WINMAIN_ENTRY_POINT\nint __stdcall wWinMain("
# the hook goes right after the main module has run
AFTER_MAIN_MODULE = ('    NUITKA_PRINT_TIMING("main(): Exited from " NUITKA_MAIN_MODULE_NAME ".");\n')
HOOK = ("    " + MARK + "\n"
        "    if (selfhost_preinit_stop && selfhost_preinit_stop()) {\n"
        "        return 0;\n"
        "    }\n")


class PatchError(Exception):
    pass


def patch_text(text):
    """Return (new text, changed?)."""
    if MARK in text:
        return text, False
    for anchor in (BEFORE_MAIN, AFTER_MAIN_MODULE):
        if text.count(anchor) != 1:
            raise PatchError("MainProgram.c: expected exactly one %r (another Nuitka version?)"
                             % anchor.splitlines()[0].strip())
    text = text.replace(BEFORE_MAIN, DECLARATION + "\n" + BEFORE_MAIN)
    text = text.replace(AFTER_MAIN_MODULE, AFTER_MAIN_MODULE + HOOK)
    return text, True


def main_program_path():
    import nuitka
    return os.path.join(os.path.dirname(nuitka.__file__), "build", "static_src", "MainProgram.c")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if the file still needs the patch")
    parser.add_argument("--file", help="MainProgram.c to patch (default: the installed Nuitka's)")
    args = parser.parse_args(argv)
    try:
        path = args.file or main_program_path()
    except ImportError:
        print("patch_nuitka_preinit: error: py2wasm (nuitka) is not installed", file=sys.stderr)
        return 2
    try:
        with open(path) as f:
            text = f.read()
        new, changed = patch_text(text)
    except (OSError, PatchError) as e:
        print("patch_nuitka_preinit: error: %s" % e, file=sys.stderr)
        return 2
    if not changed:
        print("MainProgram.c already returns from main() for the pre-initialization")
        return 0
    if args.check:
        print("needs the patch: %s" % path)
        return 1
    tmp = path + ".selfhost.tmp"
    with open(tmp, "w") as f:
        f.write(new)
    os.replace(tmp, path)
    print("patched %s: main() returns after the main module while pre-initializing" % path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
