"""The selfhost program: what build/selfhost.wasm runs (and ``python -m selfhost`` on CPython).

Its command line (cli.py), a run under checkpoint control (session.py: triggers, policy,
snapshot writing, restore, stats), the engine settings it takes from its environment
(config.py), the spec-suite runner (spectest.py, ``--spec-json``), the guest side of the offload
doorbell (doorbell.py) and the exit codes every layer uses (exit_codes.py). It sits between the
engine (interp/) and the snapshot format (checkpoint/) below and the host side (host/) above:
nothing here imports host/.
"""
