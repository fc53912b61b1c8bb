"""Hook groups of the pytest plugin, one module per job, registered in ``pytest_plugin.pytest_plugins``."""
