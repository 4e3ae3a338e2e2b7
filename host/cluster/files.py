"""The bytes that travel between nodes: an app's preopened directories as one tarball, and the
output counts a snapshot recorded.

Nodes share no files: the directories an app was given with --dir are packed into a tarball
(members d0/..., d1/..., one per --dir in order) when it is submitted, and again whenever it
is checkpointed (the app is stopped then, so the files are exactly as of the snapshot); the
tarball goes through Ray's object store and is unpacked into the next node's own work root.
"""
import io
import os
import shutil
import tarfile


class FilesError(Exception):
    """A directory cannot be packed or a tarball cannot be unpacked."""


def member_name(index):
    return "d%d" % index


def pack_dirs(dirs):
    """Tar the host directories ``dirs`` (a list of paths) into bytes: dir i becomes d<i>/.
    Symlinks are stored as links (never followed); other special files are skipped."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for i, path in enumerate(dirs):
            if not os.path.isdir(path):
                raise FilesError("%s: not a directory" % path)
            tar.add(path, arcname=member_name(i), recursive=False)
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames.sort()
                rel = os.path.relpath(dirpath, path)
                base = member_name(i) if rel == "." else member_name(i) + "/" + rel
                for name in dirnames + sorted(filenames):
                    full = os.path.join(dirpath, name)
                    if not (os.path.islink(full) or os.path.isdir(full) or os.path.isfile(full)):
                        continue
                    try:
                        tar.add(full, arcname=base + "/" + name, recursive=False)
                    except OSError as e:
                        raise FilesError("cannot pack %s: %s" % (full, e.strerror or e)) from None
    return out.getvalue()


def unpack_dirs(data, root, count):
    """Unpack a pack_dirs tarball under ``root``; return the ``count`` directory paths
    (root/d0, root/d1, ...), each created even when the tarball holds nothing for it. Paths
    and links that would leave ``root`` are refused (tarfile's "data" filter)."""
    os.makedirs(root, exist_ok=True)
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r") as tar:
            tar.extractall(root, filter="data")
    except (tarfile.TarError, OSError) as e:
        raise FilesError("cannot unpack the app's files: %s" % e) from None
    paths = []
    for i in range(count):
        path = os.path.join(root, member_name(i))
        os.makedirs(path, exist_ok=True)
        paths.append(path)
    return paths


def unpack_to(data, guests, dest):
    """Unpack a pack_dirs tarball into ``dest`` for a user: directory i goes to dest/GUEST_i
    (its guest name without leading "/"; a guest "." is dest itself). Returns the paths."""
    staging = os.path.join(dest, ".selfhost-unpack")
    paths = unpack_dirs(data, staging, len(guests))
    out = []
    for guest, path in zip(guests, paths):
        rel = os.path.normpath(guest.lstrip("/")) if guest.strip("/") else "."
        if rel.startswith(".."):
            rel = os.path.basename(rel) or "dir"
        target = os.path.normpath(os.path.join(dest, rel))
        os.makedirs(target, exist_ok=True)
        for name in os.listdir(path):
            final = os.path.join(target, name)
            if os.path.lexists(final):
                if os.path.isdir(final) and not os.path.islink(final):
                    shutil.rmtree(final)
                else:
                    os.remove(final)
            os.replace(os.path.join(path, name), final)
        out.append(target)
    shutil.rmtree(staging, ignore_errors=True)
    return out


def snapshot_output_counts(data, module_sha256=None):
    """{1: stdout bytes, 2: stderr bytes} the app had written when the snapshot was taken (the
    WASI section's counts: a restored run writes on from there). Reads only the header and the
    JSON sections (checkpoint.check; the WASI section checked by its owner, wasi_state). Raises
    FilesError for a damaged snapshot, or one of another module than ``module_sha256`` (hex)."""
    from checkpoint import SnapshotError, check, wasi_state
    try:
        summary = check(data, module_sha256)
        section = summary["wasi"]
        if section is None:
            raise FilesError("snapshot has no WASI section")
        dirs = [(guest, guest) for guest in wasi_state.needed_dirs(section)]
        written = wasi_state.from_json(section, dirs)["written"]
    except SnapshotError as e:
        raise FilesError("snapshot: %s" % e) from None
    return {1: written[1], 2: written[2]}
