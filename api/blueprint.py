"""The API's blueprint class, whose argument parser refuses every undecodable body as a client error."""

from __future__ import annotations

import typing

import flask
import flask_smorest
from webargs import core, flaskparser
from webargs.flaskparser import FlaskParser
from werkzeug.routing import BaseConverter

from ledger import strict_json


class _BodyParser(FlaskParser):
    def _raw_load_json(self, req: flask.Request) -> typing.Any:
        if not core.is_json(req.mimetype):
            return core.missing
        return load_body(req.get_data(cache=True))


def load_body(data: bytes) -> typing.Any:
    """A request body read with the one strict reader; a duplicated key is a 400 naming where it is."""
    try:
        return strict_json.loads(data)
    except strict_json.DuplicateKeyError as error:
        flaskparser.abort(400, exc=error, messages={"json": {error.dotted: [str(error)]}})
    except strict_json.JSONInputError as error:
        flaskparser.abort(400, exc=error, messages={"json": [f"Invalid JSON body: {error}"]})


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = _BodyParser()


class PublicId(BaseConverter):
    """A path segment shaped like the service's random ids (``lrn_…``, ``ach_…``); anything else is a 404 before any
    lookup, so bytes a database cannot store (NUL in PostgreSQL text) never reach a query."""

    regex = r"[a-z]{3}_[0-9a-z]{20}"


def public_id_schema(converter: BaseConverter) -> dict[str, str]:
    return {"type": "string", "pattern": f"^{converter.regex}$"}
