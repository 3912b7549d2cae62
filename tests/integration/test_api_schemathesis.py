"""Property-based run of the whole API against the live server with a real key of a tenant that has data.

Every generated request must get an answer that is not a 5xx and matches the
OpenAPI document: documented status, content type and body schema.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode, checks

from tests.support.api import bearer, create_api_key, seed_catalog
from tests.support.journeys import install_shop

EXAMPLES = 10  # per operation and run: about 250 requests
CHECKS = [checks.not_a_server_error, checks.response_schema_conformance, checks.status_code_conformance,
          checks.content_type_conformance]


@dataclass
class Target:
    base_url: str
    session: requests.Session
    seeded: dict

    def known_ids(self, operation) -> dict[str, int]:
        """Ids of the tenant's own rows for the path, so generated calls also reach the found-it paths."""
        links = self.seeded["links"]
        ids = {"link_id": links[-1] if operation.method.upper() == "DELETE" else links[0], "run_id": self.seeded["run"]}
        return {name: ids[name] for name in ids if "{" + name + "}" in operation.path}


@pytest.fixture(scope="module")
def api_target(app, sandbox_app):
    tenant = install_shop(app.test_client(), f"test-{uuid.uuid4().hex[:12]}.myshopify.com")
    seeded = seed_catalog(app, tenant, products=4, variants=2)
    session = requests.Session()
    session.headers.update(bearer(create_api_key(app, tenant, "schemathesis")))
    yield Target(app.config["PUBLIC_URL"], session, seeded)
    session.close()


@pytest.fixture(scope="module")
def api_schema(app, api_target):
    spec = api_target.session.get(api_target.base_url + "/api/openapi.json", timeout=10).json()
    return schemathesis.openapi.from_dict(spec)


def test_api_conforms_to_its_document(api_schema, api_target):
    # Driven through Hypothesis directly: schemathesis' pytest loader does not run on pytest 9.
    failures = {}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    # Deletes last: generated small ids may hit the tenant's own links, which the other calls use.
    for operation in sorted(operations, key=lambda operation: operation.method.upper() == "DELETE"):
        runs = [(GenerationMode.POSITIVE, {}), (GenerationMode.NEGATIVE, {})]
        if api_target.known_ids(operation):
            runs.append((GenerationMode.POSITIVE, api_target.known_ids(operation)))
        for mode, path_parameters in runs:
            @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            def conforms(case):
                case.call_and_validate(base_url=api_target.base_url, session=api_target.session, checks=CHECKS,
                                       timeout=10)

            try:
                conforms()
            except Exception as failure:  # noqa: BLE001 - every operation runs; all failures are reported
                failures[f"{operation.label} ({mode.value}, {path_parameters or 'generated ids'})"] = failure
    assert not failures, "\n\n".join(f"{label}:\n{failure}" for label, failure in failures.items())
