"""The API's blueprint class, whose argument parser refuses every undecodable body as a client error."""

from __future__ import annotations

import json
import typing

import flask
import flask_smorest
from webargs import core
from webargs.flaskparser import FlaskParser
from werkzeug.routing import BaseConverter


class _BodyParser(FlaskParser):
    def _raw_load_json(self, req: flask.Request) -> typing.Any:
        if not core.is_json(req.mimetype):
            return core.missing
        try:
            return core.parse_json(req.get_data(cache=True))
        except (ValueError, RecursionError) as error:
            # Python's decoder raises a plain ValueError for integers over 4,300 digits and RecursionError for
            # deep nesting; neither is a JSONDecodeError, so webargs would let them through as a 500.
            if isinstance(error, json.JSONDecodeError):
                raise
            self._handle_invalid_json_error(json.JSONDecodeError(str(error), "", 0), req)


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = _BodyParser()


class PublicId(BaseConverter):
    """A path segment shaped like the service's random ids (``lrn_…``, ``ach_…``); anything else is a 404 before any
    lookup, so bytes a database cannot store (NUL in PostgreSQL text) never reach a query."""

    regex = r"[a-z]{3}_[0-9a-z]{20}"


def public_id_schema(converter: BaseConverter) -> dict[str, str]:
    return {"type": "string", "pattern": f"^{converter.regex}$"}
