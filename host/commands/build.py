"""`selfhost build [--force]`: build build/selfhost.wasm with build.sh (a source checkout)."""
import subprocess

from selfhost import exit_codes

from ..errors import print_error
from ..runtimes.base import ROOT
from . import common


def build_parser():
    p = common.parser("selfhost build", "selfhost build [--force]",
                      "Build build/selfhost.wasm with build.sh.")
    p.add_argument("--force", action="store_true", help="rebuild even if up to date")
    return p


def main(tokens):
    ns = common.parse(build_parser(), tokens)
    script = ROOT / "build.sh"
    if not script.is_file():
        print_error("%s not found: `selfhost build` works from a source checkout" % script)
        return exit_codes.USAGE
    return subprocess.call(["bash", str(script)] + (["--force"] if ns.force else []))
