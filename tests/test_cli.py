"""`python -m selfhost` as a subprocess: --invoke, options, errors, exit codes."""
import subprocess
import sys
from pathlib import Path

import pytest

from tests import support

from selfhost import cli, exit_codes
from tests.apps.build import build_app

ROOT = Path(__file__).resolve().parent.parent

KERNEL_WAT = r"""
(module
  (memory (export "memory") 1)
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "neg64") (param i64) (result i64) (i64.sub (i64.const 0) (local.get 0)))
  (func (export "half") (param f64) (result f64) (f64.mul (local.get 0) (f64.const 0.5)))
  (func (export "f32id") (param f32) (result f32) (local.get 0))
  (func (export "pair") (param i32) (result i32 i64)
    (local.get 0) (i64.extend_i32_s (local.get 0)))
  (func (export "nothing"))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func $rec (export "rec") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $rec (i32.sub (local.get 0) (i32.const 1)))))))
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_s (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (global (export "g") i32 (i32.const 1))
)
"""

IMPORTS_WAT = r"""
(module
  (import "env" "missing" (func))
  (func (export "_start")))
"""

WASI_REACTOR_WAT = r"""
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (global $ready (mut i32) (i32.const 0))
  (func (export "_initialize") (global.set $ready (i32.const 41)))
  (func (export "ready") (result i32) (i32.add (global.get $ready) (i32.const 1)))
  (func (export "quit") (param i32) (call $exit (local.get 0))))
"""


def wat2wasm(tmp_path, text, name):
    return support.wat2wasm(text, tmp_path / (name + ".wasm"))

@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    return wat2wasm(tmp_path_factory.mktemp("kernel"), KERNEL_WAT, "kernel")


def run(*args, stdin=b""):
    proc = subprocess.run([sys.executable, "-m", "selfhost", *map(str, args)], input=stdin,
                          capture_output=True, cwd=ROOT, timeout=300)
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


def assert_one_error_line(stderr, *fragments):
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("selfhost: error: "), stderr
    assert "Traceback" not in stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.mark.parametrize("func, args, expected", [
    ("add", ["2", "3"], "5\n"),
    ("add", ["2147483647", "1"], "-2147483648\n"),
    ("add", ["0xffffffff", "0"], "-1\n"),
    ("add", ["-7", "2"], "-5\n"),
    ("neg64", ["9223372036854775807"], "-9223372036854775807\n"),
    ("neg64", ["-9223372036854775808"], "-9223372036854775808\n"),
    ("half", ["3"], "1.5\n"),
    ("half", ["-inf"], "-inf\n"),
    ("half", ["nan"], "nan\n"),
    ("f32id", ["0.1"], "0.10000000149011612\n"),
    ("pair", ["-3"], "-3\n-3\n"),
    ("nothing", [], ""),
    ("fib", ["15"], "610\n"),
])
def test_invoke(kernel, func, args, expected):
    code, out, err = run("--invoke", func, kernel, *args)
    assert (code, out, err) == (0, expected, "")


def test_invoke_with_double_dash(kernel):
    assert run("--invoke", "add", kernel, "--", "-1", "-2") == (0, "-3\n", "")
    assert run("--invoke", "add", "--", kernel, "4", "5") == (0, "9\n", "")


@pytest.mark.parametrize("args, fragments", [
    (["--invoke", "add", "{k}", "1"], ["expects 2 argument(s), got 1"]),
    (["--invoke", "add", "{k}", "1", "x"], ["bad i32 argument 'x'"]),
    (["--invoke", "add", "{k}", "1", "4294967296"], ["out of range"]),
    (["--bogus", "{k}"], ["unrecognized arguments: --bogus"]),
    (["--max-call-depth", "x", "{k}"], ["--max-call-depth", "expected an integer"]),
    (["--max-call-depth", "0", "{k}"], ["--max-call-depth", "an integer from 1 to"]),
    (["--max-call-depth", "-5", "{k}"], ["--max-call-depth", "an integer from 1 to"]),
    (["--checkpoint-after", "-1", "{k}"], ["--checkpoint-after", "seconds from 0 to"]),
    (["--checkpoint-after", "nan", "{k}"], ["--checkpoint-after", "seconds from 0 to"]),
    (["--checkpoint-after", "inf", "{k}"], ["--checkpoint-after", "seconds from 0 to"]),
    (["--checkpoint-after", "soon", "{k}"], ["--checkpoint-after", "number of seconds"]),
    (["--offload-threshold", "-1", "{k}"], ["--offload-threshold", "an integer from 0 to"]),
    (["--offload-threshold", "1e3", "{k}"], ["--offload-threshold", "expected an integer"]),
    (["--offload", "maybe", "{k}"], ["--offload", "invalid choice"]),
    (["--env", "NOEQUALS", "{k}"], ["bad --env"]),
    ([], ["missing APP.wasm"]),
    (["--invoke"], ["expected one argument"]),
])
def test_usage_errors_exit_2(kernel, args, fragments):
    code, out, err = run(*[str(kernel) if a == "{k}" else a for a in args])
    assert code == 2 and out == ""
    assert_one_error_line(err, *fragments)


@pytest.mark.parametrize("name", ["nope", "g", "memory"])
def test_invoke_missing_export_exits_1(kernel, name):
    code, out, err = run("--invoke", name, kernel)
    assert code == 1 and out == ""
    assert_one_error_line(err, "no exported function %r" % name)


def test_trap_exit_code(kernel):
    code, out, err = run("--invoke", "div", kernel, "1", "0")
    assert code == exit_codes.TRAP == 134 and out == ""
    assert_one_error_line(err, "wasm trap: integer divide by zero")


def test_max_call_depth(kernel):
    assert run("--max-call-depth", "50", "--invoke", "rec", kernel, "40") == (0, "40\n", "")
    code, out, err = run("--max-call-depth", "50", "--invoke", "rec", kernel, "60")
    assert code == 134
    assert_one_error_line(err, "wasm trap: call stack exhausted")


def test_load_errors_exit_1(tmp_path, kernel):
    code, _, err = run(tmp_path / "missing.wasm")
    assert code == 1
    assert_one_error_line(err, "cannot read", "missing.wasm")
    code, _, err = run(tmp_path)
    assert code == 1
    assert_one_error_line(err, "cannot read")
    bad = tmp_path / "bad.wasm"
    bad.write_bytes(b"\0asm\x01\0\0\0\x01\x05")
    code, _, err = run(bad)
    assert code == 1
    assert_one_error_line(err, "invalid module", "bad.wasm")
    bad.write_bytes(b"not wasm at all")
    code, _, err = run(bad)
    assert code == 1
    assert_one_error_line(err, "magic header not detected")
    code, _, err = run(wat2wasm(tmp_path, IMPORTS_WAT, "imports"))
    assert code == 1
    assert_one_error_line(err, "link error", "env.missing")
    code, _, err = run(kernel)        # no _start and no --invoke
    assert code == 1
    assert_one_error_line(err, "no exported function _start", "--invoke")
    code, _, err = run("--dir", tmp_path / "nodir", kernel)
    assert code == 1
    assert_one_error_line(err, "not a directory")


def test_reactor_initialize_and_proc_exit(tmp_path):
    reactor = wat2wasm(tmp_path, WASI_REACTOR_WAT, "reactor")
    assert run("--invoke", "ready", reactor) == (0, "42\n", "")
    assert run("--invoke", "quit", reactor, "9") == (9, "", "")


def test_version_and_help():
    code, out, err = run("--version")
    assert code == 0 and out.startswith("selfhost ") and err == ""
    code, out, err = run("--help")
    assert code == 0 and "--invoke" in out and "--dir" in out and "APP.wasm" in out


def test_wasi_command_exit_codes_and_args(tmp_path):
    assert run(build_app("exit3"))[0] == 3
    code, out, err = run(build_app("hello"))
    assert code == 0 and out.startswith("hello from wasi\n") and err == "a line on stderr\n"
    # options after APP.wasm belong to the app, "--" after APP.wasm is dropped
    code, out, _ = run("--env", "GREETING=yo", build_app("args_env"), "--", "--version", "x")
    assert code == 0
    assert "argv[1]=[--version]" in out and "argv[2]=[x]" in out and "GREETING=yo" in out
    code, out, _ = run(build_app("echo"), stdin=b"abc\n")
    assert (code, out) == (0, "ABC\n")


def test_dir_host_guest_mapping(tmp_path):
    box = tmp_path / "box"
    box.mkdir()
    (box / "input.txt").write_text("from the host\n")
    (box / "keep").mkdir()
    code, out, _ = run("--dir", "%s::/data" % box, build_app("files"), "/data")
    assert code == 0 and "input: from the host" in out
    assert (box / "made" / "result.txt").read_text() == "written by the app\n"
    # without --dir the app sees no directory at all
    code, out, _ = run(build_app("files"), "/data")
    assert "input.txt: errno=44" in out


def test_split_argv():
    assert cli.split_argv(["--dir", "a", "app.wasm", "--dir", "b"]) == (
        ["--dir", "a"], "app.wasm", ["--dir", "b"])
    assert cli.split_argv(["--", "-weird.wasm", "x"]) == ([], "-weird.wasm", ["x"])
    assert cli.split_argv(["--version"]) == (["--version"], None, [])
    assert cli.split_argv(["app.wasm", "--", "--", "y"]) == ([], "app.wasm", ["--", "y"])
    assert cli.parse_dirs(["a", "b::/x", "c::"]) == [("a", "a"), ("b", "/x"), ("c", "c")]


EXIT_200_WAT = r"""
(module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $exit (i32.const 200))))
"""


def test_exit_status_126_and_above_is_an_error_like_wasmtime(tmp_path):
    code, out, err = run(wat2wasm(tmp_path, EXIT_200_WAT, "exit200"))
    assert code == 1
    assert_one_error_line(err, "invalid exit status")


def test_internal_error_is_one_line(monkeypatch, capsys, kernel):
    import interp

    def broken(data):
        raise IndexError("boom")
    monkeypatch.setattr(interp, "decode", broken)
    monkeypatch.delenv("SELFHOST_DEBUG", raising=False)
    assert cli.main(["--invoke", "add", str(kernel), "1", "2"]) == 1
    err = capsys.readouterr().err
    assert_one_error_line(err, "internal error: IndexError: boom")
    monkeypatch.setenv("SELFHOST_DEBUG", "1")
    with pytest.raises(IndexError):
        cli.main(["--invoke", "add", str(kernel), "1", "2"])
