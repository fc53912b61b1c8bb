"""Support code of the fuzz suite (``suites/fuzz/``): schemathesis driven by ``spec/openapi.yaml``.

    operations.py  the spec model's operations (spec_model.py) under the fuzz suite's names, and not_negatable()
    settings.py    seed and budget (``--seed``, ``--fuzz-examples``; plugins/fuzz.py sets them)
    strategies.py  generators for the JSON-in-a-string formats fc-flow-data, fc-assistant-details,
                   fc-tool-schema and fc-json-text
    schema.py      the configured schemathesis schema (seed, phases, auth provider, hooks)
    guard.py       ids the run does not own never reach the server (stand-in uuids)
    pins.py        ids pointed at objects the run made for the item (found and not-found paths)
    runtime.py     per-process state, and the before/after-call hooks (pins, names, journaling)
    checks.py      the check lists by level, and the registered Error-envelope check
    stateful.py    the state machine over the spec's links (scenarios own and delete their objects)
"""
