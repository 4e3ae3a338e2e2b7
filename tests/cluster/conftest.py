"""Markers of the cluster tests: `cluster` (needs Ray: pip install -e ".[cluster]") and `slow`
(the multi-node ones start a local Ray cluster)."""


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes minutes (a local multi-node Ray cluster)")
    config.addinivalue_line("markers", "cluster: needs Ray (the selfhost[cluster] extra)")
