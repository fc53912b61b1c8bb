"""Adding a resource is docs/suite-conventions.md's steps and nothing else: a toy "gadgets" proves it.

A temporary tree (``paths.TREE_ENV``) holds the shipped spec plus a gadgets fragment (tag with
``x-fc-capability``/``x-fc-kind``, list/create, get/update/delete, protected), one reference module
and one suite file; nothing of the package is edited. The reference server (``serve``) runs on that
tree with one gadget a user made before the run; then ``flowise-conformance run -k gadget`` must
show the gadget operations guarded, cleaned, in the auth matrix, fuzzed and in coverage.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import yaml

from flowise_conformance import paths
from tests.safety_support import cli_env, finish, start_cli

KEY = "fc-toy-resource-key-5b21c7"
RUN_ID = "20260101-000000-70e1a5"
OPERATIONS = {"listGadgets": "GET /api/v1/gadgets", "createGadget": "POST /api/v1/gadgets",
              "getGadget": "GET /api/v1/gadgets/{id}", "updateGadget": "PUT /api/v1/gadgets/{id}",
              "deleteGadget": "DELETE /api/v1/gadgets/{id}"}

# step 1: the spec fragment
SPEC_FRAGMENT = """
x-anchors: [&gadget {$ref: '#/components/schemas/Gadget'}]  # YAML anchors for the repeated parts
tags:
  - name: gadgets
    description: A toy resource (tests/test_toy_resource.py).
    x-fc-capability: gadgets
    x-fc-kind: gadget
paths:
  /api/v1/gadgets:
    get:
      operationId: listGadgets
      tags: [gadgets]
      x-fc-resource: gadgets
      responses:
        '200': {description: The gadgets., content: {application/json: {schema: {type: array, items: *gadget}}}}
        '401': &unauthorized {$ref: '#/components/responses/Unauthorized'}
    post:
      operationId: createGadget
      tags: [gadgets]
      x-fc-resource: gadgets
      requestBody: {required: true, content: {application/json: {schema: {$ref: '#/components/schemas/GadgetCreate'}}}}
      responses:
        '200': {description: The created gadget., content: {application/json: {schema: *gadget}}}
        '400': &bad_request {$ref: '#/components/responses/BadRequest'}
        '401': *unauthorized
  /api/v1/gadgets/{id}:
    parameters:
      - {name: id, in: path, required: true, schema: {type: string, format: uuid}}
    get:
      operationId: getGadget
      tags: [gadgets]
      x-fc-resource: gadgets
      responses: &item_answers
        '200': {description: The gadget., content: {application/json: {schema: *gadget}}}
        '400': *bad_request
        '401': *unauthorized
        '404': {$ref: '#/components/responses/NotFound'}
    put:
      operationId: updateGadget
      tags: [gadgets]
      x-fc-resource: gadgets
      requestBody: {required: true, content: {application/json: {schema: {$ref: '#/components/schemas/GadgetUpdate'}}}}
      responses: *item_answers
    delete:
      operationId: deleteGadget
      tags: [gadgets]
      x-fc-resource: gadgets
      responses:
        <<: *item_answers
        '200': {description: Deleted., content: {application/json: {schema: {$ref: '#/components/schemas/DeleteResult'}}}}
components:
  schemas:
    Gadget: {type: object, required: [id, name], properties: {id: {type: string}, name: {type: string}}}
    GadgetCreate: {type: object, additionalProperties: false, required: [name],
                   properties: {name: {type: string, minLength: 1}}}
    GadgetUpdate: {type: object, additionalProperties: false, properties: {name: {type: string, minLength: 1}}}
"""

# step 2: the reference module
REFERENCE_MODULE = '''
"""Toy gadgets: create, list, get, update, delete."""
from flowise_conformance.reference import inputs
from flowise_conformance.reference.clock import now_iso
from flowise_conformance.reference.responses import ApiError, ok
from flowise_conformance.reference.routing import crud_routes

KIND, WHAT = "gadget", "Gadget"


def _values(body, creating):
    inputs.known_fields(body, ("name",), WHAT)
    name = inputs.text(body, "name", WHAT, required=creating, non_empty=True)
    return {} if name is inputs.MISSING else {"name": name}


def _find(request):
    gadget_id = request.path_params["id"]
    if not inputs.is_uuid(gadget_id):
        raise ApiError(400, f"Gadget id {gadget_id!r} is not a uuid")
    return inputs.stored_or_404(request, KIND, gadget_id, f"Gadget {gadget_id} not found")


async def list_gadgets(request):
    return ok(inputs.newest_first(request.app.state.store.all(KIND)))


async def create_gadget(request):
    values = _values(await inputs.required_body(request), creating=True)
    return ok(request.app.state.store.insert_new(KIND, values, now_iso()))


async def get_gadget(request):
    return ok(_find(request))


async def update_gadget(request):
    gadget = _find(request)
    updated = {**gadget, **_values(await inputs.required_body(request), creating=False), "updatedDate": now_iso()}
    return ok(request.app.state.store.replace(KIND, updated))


async def delete_gadget(request):
    gadget = _find(request)
    return ok({"raw": [], "affected": request.app.state.store.delete(KIND, gadget["id"])})


routes = crud_routes("/api/v1/gadgets", list=list_gadgets, create=create_gadget, get=get_gadget,
                     update=update_gadget, delete=delete_gadget)
'''

# step 3: the suite file (an owned kind needs no create fixture of its own: fixtures.creating takes a body)
SUITE_FILE = '''
"""Gadgets lifecycle: create -> get -> update persists -> delete -> gone."""
import pytest

from flowise_conformance.checks import expect_status
from flowise_conformance.crud import expect_created, expect_gone, expect_persisted, expect_read, path
from flowise_conformance.fixtures import creating

pytestmark = [pytest.mark.resource("gadgets"), pytest.mark.mutating]


@pytest.fixture
def create_gadget(api, tracker, new_name):
    """Creates gadgets with run-scoped names; journaled at once and deleted after the test."""
    yield from creating(api, tracker, "gadget", lambda **fields: {"name": new_name("gadget"), **fields})


@pytest.mark.level("MUST")
def test_gadget_lifecycle(api, tracker, create_gadget, new_name):
    """A created gadget is served, its update persists, and after a DELETE it is gone."""
    gadget = create_gadget()
    expect_read(api, "gadget", gadget, ("id", "name"))
    changes = {"name": new_name("renamed")}
    expect_persisted(api, api.put(path("gadget", gadget["id"]), json=changes), "gadget", gadget["id"], changes)
    expect_status(api.delete(path("gadget", gadget["id"])), 200)
    expect_gone(api, tracker, "gadget", gadget["id"])
    create_gadget()  # left for the fixture's teardown to delete
'''

# not a step: a misbehaving test aiming at the gadget the user made before the run
FOREIGN_FILE = '''
"""Misbehaving tests: they write to a gadget the run did not create."""
import os

import pytest

pytestmark = [pytest.mark.resource("gadgets"), pytest.mark.mutating]
GADGET = os.environ["FC_TEST_FOREIGN_GADGET"]


@pytest.mark.level("MUST")
@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_write_to_foreign_gadget(api, method):
    """Renames or deletes the user's gadget."""
    api.request(method, f"gadgets/{GADGET}", **({"json": {"name": "hijacked"}} if method == "PUT" else {}))
'''


def _merged_spec(fragment: dict) -> dict:
    fragment = json.loads(json.dumps(fragment))  # no shared nodes left from the anchors: no aliases in the dump
    spec = yaml.safe_load(paths.spec_file().read_text(encoding="utf-8"))
    spec["tags"] += fragment["tags"]
    spec["paths"].update(fragment["paths"])
    spec["components"]["schemas"].update(fragment["components"]["schemas"])
    return spec


def toy_tree(root: Path) -> Path:
    """The shipped spec and suites plus the gadgets resource, as a FLOWISE_CONFORMANCE_TREE."""
    (root / "spec").mkdir(parents=True)
    (root / "spec" / "openapi.yaml").write_text(yaml.safe_dump(_merged_spec(yaml.safe_load(SPEC_FRAGMENT)),
                                                               sort_keys=False), encoding="utf-8")
    shutil.copytree(paths.suites_dir(), root / "suites", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "suites" / "gadgets").mkdir()
    (root / "suites" / "gadgets" / "test_gadgets_lifecycle.py").write_text(textwrap.dedent(SUITE_FILE))
    (root / "suites" / "gadgets" / "test_gadgets_foreign.py").write_text(textwrap.dedent(FOREIGN_FILE))
    (root / "reference").mkdir()
    (root / "reference" / "gadgets.py").write_text(textwrap.dedent(REFERENCE_MODULE))
    return root


def _serve(tree: Path, ready: Path) -> tuple[subprocess.Popen[str], str]:
    """`flowise-conformance serve` on the toy tree (its output to a file: an unread pipe could fill)."""
    env = cli_env(KEY, **{paths.TREE_ENV: str(tree)})
    log = ready.with_suffix(".log")
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "flowise_conformance", "serve", "--port", "0", "--api-key", KEY,
                                 "--ready-file", str(ready)], env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            proc.wait(timeout=10)
            raise AssertionError(f"Expected the toy reference server to start / Received {log.read_text()[-2000:]}")
        time.sleep(0.05)
    return proc, ready.read_text().strip()


def test_a_toy_resource_is_guarded_cleaned_in_the_auth_matrix_fuzzed_and_covered(tmp_path):
    """Spec fragment, reference module and suite file only: the run treats gadgets like every resource."""
    tree = toy_tree(tmp_path / "tree")
    server, base_url = _serve(tree, tmp_path / "ready")
    try:
        with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {KEY}"}, timeout=10,
                          trust_env=False) as http:
            seeded = http.post("/api/v1/gadgets", json={"name": "customer-gadget"}).json()
            env = cli_env(KEY, FC_TEST_FOREIGN_GADGET=seeded["id"], **{paths.TREE_ENV: str(tree)})
            proc = start_cli(["run", "--base-url", base_url, "--report-dir", str(tmp_path / "reports"), "--run-id",
                              RUN_ID, "-k", "gadget", "-p", "no:xdist", "--fuzz-examples", "1"], tmp_path / "cwd", env)
            code, out, err = finish(proc, timeout=120)
            left = http.get("/api/v1/gadgets").json()
    finally:
        server.terminate()
        server.wait(timeout=10)
    run_dir = tmp_path / "reports" / RUN_ID
    tests = {t["id"]: t for t in json.loads((run_dir / "summary.json").read_text())["tests"]}
    outcomes = {test_id: t["outcome"] for test_id, t in tests.items()}
    print(f"toy run: exit {code}, {len(outcomes)} tests, {sum(o == 'passed' for o in outcomes.values())} passed, "
          f"gadgets left {len(left)}")
    context = f"exit {code}\n{json.dumps(outcomes, indent=1)}\n{out[-3000:]}\n{err[-2000:]}"

    lifecycle = outcomes.get("gadgets/test_gadgets_lifecycle.py::test_gadget_lifecycle")
    assert lifecycle == "passed", f"Expected the gadget lifecycle test passed / Received {lifecycle}\n{context}"
    for name in ("test_write_to_foreign_gadget[PUT]", "test_write_to_foreign_gadget[DELETE]"):
        test = tests.get(f"gadgets/test_gadgets_foreign.py::{name}", {})
        assert test.get("outcome") == "error" and "existed on the target before this run" in test.get("message", ""), (
            f"Expected {name} refused by the guard / Received {test.get('outcome')}: {test.get('message')}\n{context}")
    assert left == [seeded], f"Expected only the user's gadget left, unchanged: {[seeded]} / Received {left}"
    for op_id, label in OPERATIONS.items():
        matrix = [i for i in outcomes if i.startswith("contracts/test_auth_matrix.py::") and f"[{op_id}]" in i]
        assert matrix and all(outcomes[i] == "passed" for i in matrix), (
            f"Expected passed auth-matrix items for {op_id} / Received {[(i, outcomes[i]) for i in matrix]}\n{context}")
        fuzz = outcomes.get(f"fuzz/test_fuzz_operations.py::test_operation_conforms[{label}]")
        assert fuzz == "passed", f"Expected the fuzz item of {label} passed / Received {fuzz}\n{context}"
    exercised = set(json.loads((run_dir / "coverage.json").read_text())["exercised"])
    assert set(OPERATIONS) <= exercised, (f"Expected the gadget operations exercised / Received missing "
                                          f"{sorted(set(OPERATIONS) - exercised)}")


def test_a_tree_replaces_only_what_it_has(tmp_path, monkeypatch):
    """A tree with only spec/ and reference/ moves the spec and adds a module; the suites stay the shipped ones."""
    shipped_suites = paths.suites_dir()
    (tmp_path / "spec").mkdir()
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "gadgets.py").write_text("routes = []\n")
    monkeypatch.setenv(paths.TREE_ENV, str(tmp_path))
    got = (paths.spec_file(), paths.suites_dir(), paths.extra_reference_modules())
    tree = tmp_path.resolve()
    expected = (tree / "spec" / "openapi.yaml", shipped_suites, [tree / "reference" / "gadgets.py"])
    assert got == expected, f"Expected {expected} / Received {got}"
