"""The flask-smorest ``Api`` of marketplace-kit: errors documented as RFC 9457 problems."""

from __future__ import annotations

import http

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
    ERROR_SCHEMA = ProblemSchema

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
