"""The staff console at /staff/: registrars import and correct records, bank staff review, award and administer.

Server-rendered like the portal, on the same services as the API; no scripts (the site's policy allows none), so
long work shows its progress by reloading itself. Each area's routes live in a module of their own on one blueprint.
"""

from __future__ import annotations

from flask import Flask

from creditbank.console import (
    admin_views,
    auth_views,
    erasure_views,
    errors,
    imports_views,
    recognition_views,
    records_views,
    reset_views,
    review_views,
)
from creditbank.console.blueprint import bp


def init_console(app: Flask) -> None:
    views = (
        auth_views,
        records_views,
        imports_views,
        review_views,
        recognition_views,
        admin_views,
        erasure_views,
        reset_views,
    )
    assert all(module.bp is bp for module in views)  # their routes ride on one blueprint
    app.register_blueprint(bp)
    errors.install(app)
