"""Property-based fuzzing of every documented API operation: bad input is never a 500.

Schemathesis reads /api/v1/openapi.json of an app with every available
plugin enabled and generates requests for each operation, both matching the
schema and violating it, authenticated with a read+write token. Any 5xx
fails the test.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode

from marketplace_kit.plugins import available_plugins

EXAMPLES_PER_OPERATION = 30


def test_no_operation_answers_5xx(app_factory):
    from marketplace_kit.core.users.service import create_user
    from marketplace_kit.core.users.tokens import create_token
    from marketplace_kit.events import commit

    app = app_factory(plugins=list(available_plugins()))
    with app.app_context():
        user = create_user("fuzz@example.com", "Fuzz Tester")
        _token, secret = create_token(user, "fuzz", ["read", "write"])
        commit()
    headers = {"Authorization": f"Bearer {secret}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, "the API documents no operations"
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def run(case):
                response = case.call(headers=headers)
                if response.status_code >= 500:
                    failures.append(
                        f"{case.method} {case.formatted_path} -> {response.status_code}: "
                        f"query={case.query} body={case.body!r}"[:500]
                    )

            try:
                run()
            except Unsatisfiable:
                # nothing in this operation can be made invalid (no parameters, no body)
                assert mode is GenerationMode.NEGATIVE, operation.label
    assert failures == []
