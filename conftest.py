"""Checkout shim: `pytest suites --base-url ...` and the self-tests load the package's plugin."""
pytest_plugins = ["flowise_conformance.pytest_plugin"]
