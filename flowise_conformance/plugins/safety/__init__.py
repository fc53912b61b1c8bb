"""Safe on live servers: one guard on every request a run sends, Ctrl-C, read-only, redaction.

While suites run, every HTTP request of this process, whatever library sends it (httpx for
the hand-written suites and the cleanup, requests for schemathesis), passes ``Guard.check``
at the transport, just before it would leave:

- it goes to the target's scheme, host and port only (or an origin given to
  ``allow_origin``, for a loopback server a test starts itself); redirects are never
  followed by our client, and a redirect some other library follows is refused here;
- in ``--read-only`` mode no POST, PUT, PATCH or DELETE leaves (``mutating`` tests are
  skipped; an unmarked test that tries one fails as a harness error);
- no POST, PUT, PATCH or DELETE leaves whose path names an object that existed on the
  target before the run (ids listed at the start: chatflows, tools, variables, assistants,
  document stores, API keys, credentials); a failed listing stops the run (exit 2);
- a state-changing request leaves only for one of the spec's write operations (a server id
  with ``..`` resolved into a collection or ``/api/v1`` is refused), and a PUT/PATCH/DELETE of
  an owned kind's object only when it reads back with the run's name, now or in an earlier
  read-back of this run (journaled as ``proven``; proof.py);
- no client follows a redirect of a write (httpx clients, requests sessions);
- after Ctrl-C (or SIGTERM) every request is bounded by what is left of a STOP_BUDGET and
  refused once it is spent, so a run stops within about 10 s even against a hung server;
- a create (POST to the collection of an owned resource, ``resources.owned()``) answered with an id is
  journaled as soon as its answer has been read, so the journal is complete whatever the
  test does with it (``tracker.journal_created`` journals anything else).

A refusal raises ``SafetyRefused`` and fails the test as a harness error (even if the test
catches the exception). The API key is redacted from report sections, skip reasons,
properties, log records, Allure files and the terminal; the report files are scrubbed at
the end. See docs/safety.md.

One module per job; importing any of them patches nothing (plugin.py switches them on in
pytest_configure and off in pytest_unconfigure):

- guard.py: ``Guard`` (the decision on each request, the journal of creates), the active guard
- transport.py: the httpx (sync, async) and requests patches that call the guard
- inventory.py: the start-of-run list of the target's objects (``foreign_ids``)
- read_only.py: ``--read-only`` and the tests it skips
- interrupts.py: the SIGINT/SIGTERM state machine and the stop budget
- node.py: the Node fetch guard (NODE_OPTIONS preloads node_fetch_guard.cjs)
- workers.py: the xdist hooks (inventory to workers, worker pids, exit wait)
- logs.py, terminal.py, reports.py, allure.py: redaction of log records, the terminal, test
  reports and report files, and Allure's files (allure.py is a plugin of its own: it must
  patch before allure-pytest configures)
- plugin.py: the pytest hooks, in the session's order
"""
