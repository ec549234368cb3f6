"""The flask-smorest ``Api`` of marketplace-kit: errors documented as RFC 9457 problems."""

from __future__ import annotations

import http
import threading
from typing import Any

from apispec import APISpec
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from marshmallow import Schema, fields

PROBLEM_JSON = "application/problem+json"


class ProblemSchema(Schema):
    """``application/problem+json`` (RFC 9457), as every API error is sent."""

    type = fields.String(metadata={"description": "URI identifying the kind of problem"})
    title = fields.String(metadata={"description": "Short summary of the kind of problem"})
    status = fields.Integer(metadata={"description": "HTTP status code"})
    detail = fields.String(metadata={"description": "What went wrong this time"})
    instance = fields.String(metadata={"description": "The request path"})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        metadata={"description": "Field name -> list of messages, for invalid input"},
    )


class MarketplaceApi(Api):
    """flask-smorest's Api, documenting lazily and with problem+json errors.

    Documenting views (resolving every marshmallow schema into the OpenAPI
    document) is most of what registering an API blueprint costs, and every
    web worker would pay it at start-up. Routes are registered at once; the
    document is built the first time it is asked for (:meth:`document`).
    """

    ERROR_SCHEMA = ProblemSchema

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._pending_docs: list[tuple[Any, str, Any]] = []
        self._docs_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def register_blueprint(self, blp: Any, *, parameters: Any = None, **options: Any) -> None:
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._pending_docs.append((blp, name, parameters))

    def document(self) -> APISpec:
        """The OpenAPI spec with every registered blueprint documented."""
        with self._docs_lock:
            while self._pending_docs:
                blp, name, parameters = self._pending_docs.pop(0)
                blp.register_views_in_doc(
                    self, self._app, self.spec, name=name, parameters=parameters
                )
                self.spec.tag({"name": name, "description": blp.description})
        return self.spec

    def _openapi_json(self) -> Any:
        self.document()
        return super()._openapi_json()

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Error (problem details)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)
