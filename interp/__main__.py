"""``python -m interp [OPTIONS] APP.wasm [APP_ARGS...]``: see interp/cli.py."""
import sys

from .cli import main

sys.exit(main())
