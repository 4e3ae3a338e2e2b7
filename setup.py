"""The wheel carries build/selfhost.wasm as host/selfhost.wasm (package data), so that an
installed `selfhost` runs apps with no build step (host.launch.selfhost_wasm() finds it);
an editable install (`pip install -e .`, before build.sh) needs no module.
Everything else is in pyproject.toml. Build the module first (bash build.sh), then
`python -m build`: the sdist carries the module as host/selfhost.wasm too (setuptools leaves
build/ out of an sdist), for the wheel that is built from it."""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

ROOT = Path(__file__).resolve().parent
PLACES = (Path("build") / "selfhost.wasm",    # a checkout after build.sh
          Path("host") / "selfhost.wasm")     # an unpacked sdist


def selfhost_wasm():
    for place in PLACES:
        if (ROOT / place).is_file():
            return ROOT / place
    raise SystemExit("setup.py: error: build/selfhost.wasm is missing: run `bash build.sh` "
                     "before building a wheel or an sdist")


class build_py_with_module(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return        # `pip install -e .`: the checkout's build/selfhost.wasm is used as is
        target = Path(self.build_lib) / "host" / "selfhost.wasm"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(selfhost_wasm(), target)


class sdist_with_module(sdist):
    def make_release_tree(self, base_dir, files):
        super().make_release_tree(base_dir, files)
        shutil.copyfile(selfhost_wasm(), Path(base_dir) / "host" / "selfhost.wasm")


setup(cmdclass={"build_py": build_py_with_module, "sdist": sdist_with_module})
