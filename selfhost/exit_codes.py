"""Exit codes of selfhost: the program, the host CLI, the runtimes' launchers and the Node
launcher (which gets them in its config) all use these, and only these."""

OK = 0
ERROR = 1          # a bad module, a link error, a missing file, a refused snapshot
USAGE = 2          # a bad command line; a launcher that could not start
CHECKPOINTED = 75  # EX_TEMPFAIL: stopped after a checkpoint; resume with --restore
INTERRUPTED = 130  # 128 + SIGINT
TRAP = 134         # 128 + SIGABRT: a Wasm trap, as the wasmtime CLI reports it on Unix

ALL = {"ok": OK, "error": ERROR, "usage": USAGE, "checkpointed": CHECKPOINTED,
       "interrupted": INTERRUPTED, "trap": TRAP}
