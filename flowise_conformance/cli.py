"""Command line: ``flowise-conformance run|serve|...``.

Exit codes: 0 every required check passed; 1 conformance failures;
2 usage, configuration, connection or harness error; 130 interrupted.

The exit codes are ``outcomes.ExitCode``; this docstring's second paragraph is the help's epilog.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, Sequence

from flowise_conformance import __version__, paths
from flowise_conformance.errors import FcError, UsageError
from flowise_conformance.helptext import paragraphs
from flowise_conformance.outcomes import ExitCode


def _run(args: argparse.Namespace, pytest_args: list[str]) -> int:
    from flowise_conformance.plugins.gating import canonical_profiles

    args.profile = canonical_profiles(args.profile or []) or None  # a wrong name is refused before any server starts
    if getattr(args, "flowise", None):
        return _run_with_flowise(args, pytest_args)
    return _run_target(args, pytest_args)


def _run_with_flowise(args: argparse.Namespace, pytest_args: list[str]) -> int:
    """Install if needed, start a throw-away real Flowise, run against it, stop it."""
    from flowise_conformance.flowise_launcher import LauncherError, run_with_flowise

    if args.base_url or args.target:
        raise UsageError("--flowise starts its own server: do not combine it with --base-url or --target")
    version = args.flowise
    if not getattr(args, "expectations", None):
        try:
            shipped = paths.expectations_dir() / f"flowise-{version}.toml"
        except FileNotFoundError:
            shipped = None
        if shipped is not None and shipped.is_file():
            print(f"flowise-conformance: using the shipped expectations {shipped.name}", file=sys.stderr)
            args.expectations = [str(shipped)]
    if not args.strict_levels:
        # An expectations file of a known version lists every deviation, SHOULD and MAY ones included:
        # any failure it does not list means the server or the file changed, so it fails the run.
        print("flowise-conformance: --flowise runs are strict: a SHOULD or MAY failure not in the "
              "expectations fails the run too", file=sys.stderr)
        args.strict_levels = True
    try:
        with run_with_flowise(version) as target_file:
            args.target = str(target_file)
            args.flowise = None
            return _run_target(args, pytest_args)
    except LauncherError as exc:
        raise UsageError(f"could not start Flowise {version}: {exc}") from None


def _run_target(args: argparse.Namespace, pytest_args: list[str]) -> int:
    import pytest

    from flowise_conformance import run_context
    from flowise_conformance.plugins import gating
    from flowise_conformance.run import check_run_id, new_run_id

    run_id = check_run_id(args.run_id) if args.run_id is not None else new_run_id()
    context, server = run_context.start(
        base_url=args.base_url, api_key=args.api_key, target_file=args.target, run_id=run_id,
        report_dir=args.report_dir, faults=tuple(args.reference_fault or ()),
        say=lambda message: print(f"flowise-conformance: {message}", file=sys.stderr))
    env_backup = dict(os.environ)  # plugins set variables for their child processes (NODE_OPTIONS, fuzz settings)
    try:
        argv = ["-p", "flowise_conformance.pytest_plugin", "--fc-run", "--import-mode=importlib", "-p", "no:cacheprovider",
                "--report-dir", args.report_dir, "-o", "console_output_style=count", "--no-header",
                "-W", "ignore::pytest.PytestAssertRewriteWarning"]
        argv += gating.run_argv(args, pytest_args, context.run_id)  # --profile/--level/--strict/--expectations/--alluredir
        if args.base_url:
            argv += ["--base-url", args.base_url]
        if args.target:
            argv += ["--target", args.target]
        argv += ["--run-id", context.run_id]
        if args.read_only:
            argv.append("--read-only")
        suites = paths.suites_dir()
        pytest_args = suite_relative_args(pytest_args, suites)
        # a positional argument that names an existing file/dir (or node id) selects tests itself
        selected = [a for a in pytest_args if not a.startswith("-") and Path(a.split("::", 1)[0]).exists()]
        suites = _suites_of(selected)
        argv += ["--rootdir", str(suites), "--confcutdir", str(suites), "-c", os.devnull]
        if not selected:
            argv.append(str(suites))
        argv += pytest_args
        code = _main_redacted(pytest, argv, context.run_dir, plugins=[run_context.Handoff(context)])
    finally:
        if server is not None:
            server.stop()
        os.environ.clear()
        os.environ.update(env_backup)
    return _exit_code(int(code))


def _suites_of(selected: list[str]) -> Path:
    """The suites directory of the tests named (a checkout's, say), else the installed one: test ids are relative to it."""
    roots = {paths.suites_root_of(Path(a.split("::", 1)[0]).resolve()) for a in selected}
    return roots.pop() if len(roots) == 1 and None not in roots else paths.suites_dir()


# options whose value is never a test path
_VALUE_OPTIONS = frozenset({"-k", "-m", "-p", "-o", "-W", "-c", "-n", "--maxfail", "--tb", "--junitxml"})


def suite_relative_args(pytest_args: list[str], suites: Path) -> list[str]:
    """Test ids as the terminal and the reports show them (``tools/test_x.py::test_y``) select those tests.

    An argument naming a ``.py`` file under the suites directory, and nothing relative to the
    working directory, is made absolute; every other argument is passed on unchanged.
    """
    out: list[str] = []
    for i, arg in enumerate(pytest_args):
        file_part = arg.split("::", 1)[0]
        if (not arg.startswith("-") and file_part.endswith(".py") and (i == 0 or pytest_args[i - 1] not in _VALUE_OPTIONS)
                and not Path(file_part).exists() and (suites / file_part).is_file()):
            arg = str(suites / arg)
        out.append(arg)
    return out


def _main_redacted(pytest: Any, argv: list[str], run_dir: Path, plugins: list[object]) -> int:
    """pytest.main with the key redacted from the terminal and, at the end, from the run's files.

    Ctrl-C/SIGTERM during the run are handled by plugins/safety/: the run stops, deletes what
    it created (bounded), writes partial reports and pytest answers INTERRUPTED (exit 130 here).
    """
    import time

    from flowise_conformance.redact import RedactingStream, scrub_files

    started = time.time()
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = RedactingStream(sys.stdout), RedactingStream(sys.stderr)  # type: ignore[assignment]
    try:
        return int(pytest.main(argv, plugins=plugins))
    finally:
        sys.stdout, sys.stderr = streams
        scrub_files([run_dir], since=started)


def _exit_code(pytest_code: int) -> int:
    if pytest_code == 0:
        return ExitCode.OK
    if pytest_code == 1:
        return ExitCode.FAILURES
    if pytest_code in (2, ExitCode.INTERRUPTED):  # pytest's own, or the plugin's once the reports are written
        return ExitCode.INTERRUPTED
    if pytest_code == 5:
        print("flowise-conformance: no test was selected", file=sys.stderr)
    return ExitCode.USAGE


def _serve(args: argparse.Namespace) -> int:
    from flowise_conformance.reference.faults import all_faults

    known = {f.name: f for f in all_faults()}
    if args.list_faults:
        width = max(len(n) for n in known)
        for fault in known.values():
            print(f"{fault.name:<{width}}  {fault.doc}")
        return ExitCode.OK
    unknown = [f for f in args.fault or () if f not in known]
    if unknown:
        raise UsageError(f"unknown fault(s): {', '.join(unknown)} (see: flowise-conformance serve --list-faults)")
    import secrets

    from flowise_conformance.embedded import ENV_REFERENCE_KEY
    from flowise_conformance.reference.app import ServerSettings
    from flowise_conformance.reference.server import bind_loopback, serve_forever

    api_key = args.api_key or os.environ.get(ENV_REFERENCE_KEY) or secrets.token_urlsafe(24)
    settings = ServerSettings(api_key=api_key, body_limit=args.body_limit, faults=frozenset(args.fault or ()))
    try:
        sock = bind_loopback(args.port)
    except OSError as exc:
        raise UsageError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror}") from None
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    if args.ready_file:
        tmp = Path(args.ready_file + ".tmp")
        tmp.write_text(base_url + "\n")
        tmp.replace(args.ready_file)
    else:
        shown = "(from --api-key)" if args.api_key else api_key
        print(f"reference server on {base_url}  API key: {shown}  faults: {', '.join(sorted(settings.faults)) or 'none'}",
              flush=True)
    serve_forever(settings, sock, stats_file=args.stats_file)
    return ExitCode.OK


def build_parser() -> argparse.ArgumentParser:
    import flowise_conformance

    parser = argparse.ArgumentParser(prog="flowise-conformance", description=paragraphs(flowise_conformance.__doc__, 0, 1),
                                     epilog=paragraphs(__doc__, 1, 2), formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the suites against a target (default: the embedded reference server)",
                         description="Unknown options are passed to pytest (e.g. -k, -x, -n 2).")
    run.add_argument("--base-url", help="origin of the server under test (env FLOWISE_BASE_URL)")
    run.add_argument("--api-key", help="API key (env FLOWISE_API_KEY); prefer the env var: options show in ps")
    run.add_argument("--target", help="target file (TOML)")
    run.add_argument("--report-dir", default="reports", help="reports go to REPORT_DIR/<run-id>/ (default: reports)")
    run.add_argument("--run-id", help="use this run id instead of a new one")
    run.add_argument("--flowise", metavar="VERSION",
                     help="install (if needed), start and bootstrap a real Flowise VERSION, run against it, stop it")
    run.add_argument("--reference-fault", action="append", metavar="NAME",
                     help="switch on a fault in the embedded reference server (self-tests)")
    run.add_argument("--read-only", action="store_true",
                     help="send no POST, PUT, PATCH or DELETE: state-changing tests are skipped (docs/safety.md)")
    from flowise_conformance.plugins.gating import add_run_options

    add_run_options(run)

    serve = sub.add_parser("serve", help="run the embedded reference server alone")
    serve.add_argument("--port", type=int, default=3000, help="loopback port (0: a free one; default 3000)")
    serve.add_argument("--api-key", help="the key clients must send (default: random, printed)")
    serve.add_argument("--fault", action="append", metavar="NAME", help="switch on a fault (repeatable)")
    serve.add_argument("--list-faults", action="store_true", help="list the faults and exit")
    serve.add_argument("--body-limit", type=int, default=50 * 1024 * 1024, help="bytes (default 52428800)")
    serve.add_argument("--ready-file", help=argparse.SUPPRESS)
    serve.add_argument("--stats-file", help=argparse.SUPPRESS)  # request count, written at exit (bench/)
    _add_optional_commands(sub)
    return parser


def _add_optional_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from flowise_conformance.report.compare import add_subparsers as add_report_commands

    add_report_commands(sub)  # compare, matrix
    from flowise_conformance.cleanup import add_subparser as add_cleanup

    add_cleanup(sub)
    from flowise_conformance.report.deviations import add_subparser as add_deviations
    from flowise_conformance.selftest import add_subparser as add_selftest

    add_selftest(sub)
    add_deviations(sub)
    try:
        from flowise_conformance.flowise_launcher.cli import add_subparser
    except ImportError:
        return
    add_subparser(sub)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    program = argv is None  # called as the program, not from Python code
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] == ["run"]:
            args, rest = parser.parse_known_args(argv)
            code = _run(args, rest)
            if code == ExitCode.INTERRUPTED and program:
                # reports are written and the target cleaned: skip the interpreter's slow teardown
                # (seconds with schemathesis and hypothesis loaded) so Ctrl-C ends within 10 s
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
            return code
        args = parser.parse_args(argv)
        if args.command == "serve":
            return _serve(args)
        handler = getattr(args, "handler", None) or getattr(args, "func", None)  # the launcher's commands set func
        if handler is None:
            parser.error(f"unknown command {args.command}")
        return int(handler(args))
    except FcError as exc:
        print(f"flowise-conformance: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    except KeyboardInterrupt:
        print("flowise-conformance: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
