"""``flowise`` command: install / start / stop a real Flowise for conformance runs.

The main CLI wires it in with :func:`add_subparser`; every sub-command sets ``func`` (called as
``args.func(args)``, it returns the exit code). Launcher failures print one line to stderr and
exit with code 2 (no traceback); Ctrl-C exits with 130.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Callable

from flowise_conformance.helptext import plain

from .install import DEFAULT_VERSION, LauncherError, default_cache_dir, install
from .instance import START_TIMEOUT, start, state_dir, stop, stop_all

EXIT_LAUNCHER_ERROR = 2
EXIT_INTERRUPTED = 130


def _guarded(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except LauncherError as exc:
            print(f"flowise {args.flowise_command}: error: {exc}", file=sys.stderr)
            return EXIT_LAUNCHER_ERROR
        except KeyboardInterrupt:
            print(f"flowise {args.flowise_command}: interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED
    run.__name__ = func.__name__
    run.__doc__ = func.__doc__
    return run


def _env_pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


@_guarded
def cmd_install(args: argparse.Namespace) -> int:
    inst = install(args.version, args.cache_dir)
    print(inst.flowise_dir)
    return 0


@_guarded
def cmd_start(args: argparse.Namespace) -> int:
    inst = start(args.version, cache_dir=args.cache_dir, port=args.port, target_out=args.target_out,
                 state_out=args.state_out, auto_install=not args.no_install, timeout=args.timeout,
                 verify=not args.no_verify, extra_env=dict(args.env or []))
    if args.json:
        info = {k: v for k, v in vars(inst).items() if k != "api_key"}
        print(json.dumps(info, indent=2))
    else:
        print(f"target: {inst.target_file}")
        print(f"state:  {inst.state_file}")
        print(f"url:    {inst.base_url}")
        print(f"stop with: flowise stop --state {inst.state_file}")
    return 0


@_guarded
def cmd_stop(args: argparse.Namespace) -> int:
    if args.all:
        stop_all(args.cache_dir)
    else:
        stop(args.state)
    return 0


def _help(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    def show(_args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return EXIT_LAUNCHER_ERROR
    return show


def configure(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the install/start/stop sub-commands to ``parser``."""
    parser.set_defaults(func=_help(parser), flowise_command="")
    sub = parser.add_subparsers(dest="flowise_command", metavar="{install,start,stop}")
    cache_help = f"cache directory (default {default_cache_dir()})"

    p = sub.add_parser("install", help="install Node 24 and flowise from the npm registry (idempotent)",
                       description="Install Node 24 and flowise@VERSION into the cache dir. "
                                   "Needs npm on PATH; a second run does nothing.")
    p.add_argument("--version", default=DEFAULT_VERSION, help=f"flowise version (default {DEFAULT_VERSION})")
    p.add_argument("--cache-dir", help=cache_help)
    p.set_defaults(func=cmd_install)

    p = sub.add_parser("start", help="start and bootstrap a fresh flowise on loopback",
                       description="Start a fresh flowise with a temporary data dir and our fake OpenAI, "
                                   "create an owner account, an API key and two fixture flows, and write "
                                   "a target TOML (mode 0600) plus a state file for `stop`.")
    p.add_argument("--version", default=DEFAULT_VERSION, help=f"flowise version (default {DEFAULT_VERSION})")
    p.add_argument("--port", type=int, help="loopback port (default: a free one)")
    p.add_argument("--target-out", metavar="FILE", help="where to write the target TOML "
                                                         "(default: inside the data dir)")
    p.add_argument("--state-out", metavar="FILE", help="where to write the state JSON "
                                                        "(default: CACHE_DIR/instances/flowise-PORT.json)")
    p.add_argument("--cache-dir", help=cache_help)
    p.add_argument("--timeout", type=float, default=START_TIMEOUT,
                   help=f"seconds to wait for /api/v1/ping (default {int(START_TIMEOUT)})")
    p.add_argument("--env", action="append", type=_env_pair, metavar="KEY=VALUE",
                   help="extra environment for flowise (repeatable), e.g. FLOWISE_FILE_SIZE_LIMIT=1mb")
    p.add_argument("--no-install", action="store_true", help="fail instead of installing when missing")
    p.add_argument("--no-verify", action="store_true", help="skip the verification predictions")
    p.add_argument("--json", action="store_true", help="print the instance as JSON (without the key)")
    p.set_defaults(func=cmd_start)

    p = sub.add_parser("stop", help="stop an instance and remove its data dir",
                       description="Kill the instance's process groups (flowise and the fake OpenAI), "
                                   "remove its data dir, target file and state file.")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--state", metavar="FILE", help="state file written by `start`")
    which.add_argument("--all", action="store_true",
                       help=f"every instance recorded in CACHE_DIR/instances ({state_dir()})")
    p.add_argument("--cache-dir", help=cache_help)
    p.set_defaults(func=cmd_stop)
    return parser


def add_subparser(subparsers) -> argparse.ArgumentParser:
    """Add the ``flowise`` command to the main CLI's ``subparsers`` (from ``add_subparsers()``)."""
    parser = subparsers.add_parser("flowise", help="install/start/stop a real Flowise for conformance runs",
                                   description=plain(__doc__.splitlines()[0]))
    return configure(parser)


def main(argv: list[str] | None = None) -> int:
    """Standalone entry point: ``python -m flowise_conformance.flowise_launcher.cli start ...``."""
    parser = configure(argparse.ArgumentParser(prog="flowise", description=plain(__doc__.splitlines()[0])))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
