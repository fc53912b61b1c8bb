"""Launch a throw-away real Flowise (from the npm registry) for conformance runs.

    from flowise_conformance.flowise_launcher import run_with_flowise

    with run_with_flowise("3.1.4") as target_toml:
        ...  # a bootstrapped Flowise on loopback, described by the target file

Command line (wired into the main CLI through :func:`cli.add_subparser`)::

    flowise install [--version 3.1.4] [--cache-dir DIR]
    flowise start   [--version 3.1.4] [--port N] [--target-out FILE]
    flowise stop    [--state FILE | --all]
"""
# The install *function* is exported as ``install_flowise`` so that the name ``install`` keeps
# meaning the submodule (``from flowise_conformance.flowise_launcher import install``).
from . import install  # noqa: F401  (the submodule)
from .install import DEFAULT_VERSION, Installation, LauncherError, default_cache_dir, installation
from .install import install as install_flowise
from .instance import Instance, bootstrap, run_with_flowise, start, stop, stop_all

__all__ = [
    "DEFAULT_VERSION", "Installation", "Instance", "LauncherError", "bootstrap", "default_cache_dir",
    "install_flowise", "installation", "run_with_flowise", "start", "stop", "stop_all",
]
