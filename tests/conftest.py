def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a long test (CI runs it; deselect with -m 'not slow')")
