"""Every option value of every `selfhost` command and of the selfhost program is checked on
the command line: negative, zero, non-numeric, huge, NaN or missing values are a usage error
(exit 2) with one line on stderr, before anything runs. `selfhost run --checkpoint-after -1`
once ran the app and exited 75 with nothing said (natively) or "internal error" (wasmtime)."""
import pytest

from host import cli as host_cli
from selfhost import cli as selfhost_cli
from selfhost import exit_codes

BAD_COUNTS = ["0", "-1", "abc", "1.5", "nan", "", "99999999999999999999", "1" * 5000]
BAD_SECONDS = ["-1", "nan", "inf", "-inf", "abc", "", "1e300", "0x10"]

# selfhost.wasm's own options (also checked by `selfhost run`, which hands them on)
PROGRAM_CASES = (
    [["--max-call-depth", v] for v in BAD_COUNTS]
    + [["--offload-threshold", v] for v in ["-1", "abc", "nan", "", "1" * 5000, "1e9"]]
    + [["--checkpoint-after", v] for v in BAD_SECONDS]
    + [["--checkpoint-after=-1"], ["--offload", "maybe"], ["--max-call-depth"],
       ["--snapshot"], ["--restore"], ["--bogus"], ["--dir", ""], ["--dir", "::x"],
       ["--env", "novalue"], ["--env", "=v"], ["--dir-origin", "nowhere::/x"],
       ["--args-file", "/nonexistent.json"]]
)

HOST_CASES = (
    [["run"] + c + ["app.wasm"] for c in PROGRAM_CASES]
    + [["run", "--runtime", "bogus", "app.wasm"], ["run", "--dir", "/nonexistent", "app.wasm"],
       ["run", "--dir", "x::", "app.wasm"], ["run", "--env", "K", "app.wasm"],
       ["run", "--args-file", "a.json", "app.wasm"], ["run", "--dir-origin", "a::b", "x.wasm"],
       ["run"], ["run", "--runtime"]]
    + [["restore", "--checkpoint-after", v, "s.snap", "app.wasm"] for v in BAD_SECONDS + ["0"]]
    + [["restore", "--runtime", "bogus", "s.snap", "app.wasm"], ["restore", "s.snap"],
       ["restore"], ["restore", "--bogus", "s", "a"]]
    + [["migrate", "--from", "native", "--to", "native", "--after", v, "app.wasm"]
       for v in BAD_SECONDS + ["0"]]
    + [["migrate", "--from", "bogus", "--to", "native", "app.wasm"],
       ["migrate", "--to", "native", "app.wasm"], ["migrate", "--from", "native", "app.wasm"],
       ["migrate", "--from", "native", "--to", "native", "--env", "K", "app.wasm"],
       ["migrate", "--from", "native", "--to", "native"]]
    + [["checkpoint", "trig", "--snapshot", "s", "--timeout", v] for v in BAD_SECONDS + ["0"]]
    + [["checkpoint", "trig"], ["checkpoint"], ["checkpoint", "--snapshot", "s"]]
    + [["inspect"], ["inspect", "--bogus", "s"], ["build", "--bogus"], ["bogus"]]
)


def one_usage_line(err):
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("selfhost: error:"), err
    assert "Traceback" not in err and "internal error" not in err


@pytest.mark.parametrize("tokens", HOST_CASES, ids=lambda t: " ".join(t)[:60])
def test_host_command_refuses_bad_values(tokens, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = host_cli.main(tokens)
    out, err = capsys.readouterr()
    assert code == exit_codes.USAGE, (out, err)
    one_usage_line(err)


@pytest.mark.parametrize("tokens", PROGRAM_CASES, ids=lambda t: " ".join(t)[:60])
def test_program_refuses_bad_values(tokens, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = selfhost_cli.main(tokens + ["app.wasm"])
    out, err = capsys.readouterr()
    assert code == exit_codes.USAGE, (out, err)
    one_usage_line(err)


@pytest.mark.parametrize("value,ok", [("0", True), ("0.001", True), ("1e9", True),
                                      ("1e9.5", False), ("1000000001", False)])
def test_program_seconds_bounds(value, ok):
    ns = None
    try:
        ns = selfhost_cli.build_parser().parse_args(["--checkpoint-after", value, "a.wasm"])
    except selfhost_cli.UsageError:
        pass
    assert (ns is not None) == ok
