"""The benchmark's reports: ratios, geomeans, target lines and the README section it rewrites,
checked on a results dict with known numbers; and the per-call timing of the kernels' WASI
command build (what the selfhost-HOST columns are made of)."""
import subprocess
import sys

import pytest

from bench import build as kbuild
from bench import report


def results(selfhost_fib=0.05):
    kernels = ["fib", "sieve"]
    cells = {
        "fib": {"interp": {"seconds": 0.02, "times": [0.03, 0.02], "checksum": 1},
                "interp-ckpt": {"seconds": 0.0202, "times": [0.0202], "checksum": 1,
                                "polls": 10, "poll_seconds": 0.0000404},
                "selfhost-wasmtime": {"seconds": selfhost_fib, "times": [0.1, selfhost_fib],
                                      "startup_seconds": 0.6, "total_seconds": 0.9,
                                      "checksum": 1},
                "pywasm": {"seconds": 1.0, "checksum": 1}},
        "sieve": {"interp": {"seconds": 0.1, "times": [0.5, 0.1], "checksum": 2},
                  "interp-ckpt": {"seconds": 0.1, "times": [0.1], "checksum": 2},
                  "selfhost-wasmtime": {"seconds": 0.5, "times": [0.5], "startup_seconds": 0.4,
                                        "total_seconds": 1.2, "checksum": 2},
                  "pywasm": {"seconds": 20.0, "checksum": 2}},
    }
    return {"mode": "full", "date": "2026-11-22 06:00",
            "machine": {"python": "3.11.7", "platform": "Linux-x86_64", "cpus": 2,
                        "loadavg": [1.0, 1.0, 1.0], "loadavg_end": [1.0, 1.0, 1.0]},
            "runtimes": ["interp", "interp-ckpt", "selfhost-wasmtime", "pywasm"],
            "kernels": kernels, "sizes": {"fib": 20, "sieve": 100000},
            "instructions": {"fib": 300000, "sieve": 4740000}, "cells": cells,
            "checksums": {}, "unavailable": {}, "mismatches": []}


def test_geomean_and_targets():
    r = results()
    # interp: 1.0/0.02 = 50, 20/0.1 = 200 -> geomean 100
    assert report.geomean_ratio(r, "interp", "pywasm") == pytest.approx(100.0)
    # selfhost-wasmtime: 20 and 40 -> geomean sqrt(800)
    assert report.geomean_ratio(r, "selfhost-wasmtime", "pywasm") == pytest.approx(800 ** 0.5)
    assert report.startup(r, "selfhost-wasmtime") == 0.6
    text = report.readme_section(r)
    assert text.startswith(report.README_START) and text.rstrip().endswith(report.README_END)
    assert "| **geomean** |  | **100.0×** | **99.5×** | **28.3×** |" in text
    assert "native CPython vs pywasm ≥ 50× geomean: 100.0× (met); ≥ 20× on each kernel: " \
           "lowest 50.0× (met)" in text
    assert "on wasmtime vs pywasm native ≥ 20× geomean: 28.3× (met)" in text
    assert "Startup of selfhost.wasm on wasmtime" in text and "0.60 s" in text
    assert "is 0.20% of a kernel call at most (fib: 10 polls)" in text
    slow = report.readme_section(results(selfhost_fib=0.5))   # 2x and 40x -> 8.9x
    assert "≥ 20× geomean: 8.9× (NOT met)" in slow


def test_geomean_needs_every_kernel():
    r = results()
    del r["cells"]["sieve"]["selfhost-wasmtime"]
    assert report.geomean_ratio(r, "selfhost-wasmtime", "pywasm") is None
    assert "not measured in this run" in report.readme_section(r)


def test_update_readme_replaces_only_the_generated_section(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# title\n\nintro\n\n" + report.README_START + "\nold numbers\n"
                      + report.README_END + "\n\n## After\n\nkept\n")
    report.update_readme(readme, results())
    text = readme.read_text()
    assert "old numbers" not in text
    assert text.startswith("# title\n\nintro\n\n" + report.README_START)
    assert text.endswith(report.README_END + "\n\n## After\n\nkept\n")
    assert text.count(report.README_START) == 1
    report.update_readme(readme, results())       # idempotent
    assert readme.read_text() == text


def test_markdown_has_geomean_rows_and_first_calls():
    text = report.markdown(results())
    assert "**geomean**" in text
    assert "| fib | 0.0300 / 0.0200 | 0.0202 / 0.0202 | 0.1000 / 0.0500 |" in text


def test_wasi_command_times_each_call():
    built = kbuild.build(["fib"])
    proc = subprocess.run([sys.executable, "-m", "selfhost", str(built["fib"]["command"]), "15",
                           "3"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.split()
    assert proc.stdout.count("ns ") == 3
    times = [int(line.split()[1]) for line in proc.stdout.splitlines() if line.startswith("ns ")]
    assert all(t > 0 for t in times)
    assert lines[-1] == "610"
