"""The API's blueprint class, whose argument parser refuses every undecodable body as a client error."""

from __future__ import annotations

import typing
from typing import Any

import flask
import flask_smorest
from webargs import core, flaskparser
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import BadRequest
from werkzeug.routing import BaseConverter, Map, ValidationError

from ledger import strict_json
from ledger.numbers import MAX_INT64, NotADecimal, OutOfRange, parse_decimal


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


class Decimal(BaseConverter):
    """A path segment holding a whole number: ASCII digits, no sign or leading zero (``ledger.numbers``).

    Any other segment is a 400 naming the parameter, not a 404: ``/entries/00`` or ``/entries/１`` is a
    request for entry 0 or 1 in a spelling this service does not read, and saying so beats pretending the
    entry is missing. A proper numeral past ``max`` names nothing that can exist, so it stays a 404."""

    regex = r"[^/]+"
    part_isolating = True

    # werkzeug hands rule arguments over by name, so they are spelled as in the rule: <decimal(name="seq"):seq>.
    def __init__(self, map: Map, *, name: str = "path", max: int = MAX_INT64) -> None:
        super().__init__(map)
        self.name = name
        self.max = max

    def to_python(self, value: str) -> int:
        try:
            return parse_decimal(value, maximum=self.max)
        except OutOfRange:
            raise ValidationError() from None
        except NotADecimal as exc:
            # Raised while the URL is matched, so it reaches the error handlers as a routing error would.
            refusal = BadRequest(f"{self.name} {exc}")
            # Nested under its location, the way webargs reports query and body fields.
            refusal.data = {"messages": {"path": {self.name: [str(exc)]}}}
            raise refusal from None

    def to_url(self, value: int) -> str:
        return str(int(value))


def decimal_schema(converter: BaseConverter) -> dict[str, Any]:
    return {"type": "integer", "minimum": 0, "maximum": getattr(converter, "max", MAX_INT64)}
