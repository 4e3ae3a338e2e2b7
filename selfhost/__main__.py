"""``python -m selfhost [OPTIONS] APP.wasm [APP_ARGS...]``: the selfhost program on CPython
(see selfhost/cli.py); build/selfhost.wasm is the same program compiled to Wasm."""
import sys

from .cli import main

sys.exit(main())
