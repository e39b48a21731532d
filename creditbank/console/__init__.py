"""The staff console at /staff/: registrars import and correct records, bank staff review, award and administer.

Server-rendered like the portal, on the same services as the API; no scripts (the site's policy allows none), so
long work shows its progress by reloading itself. Each area's routes live in a module of their own on one blueprint.
"""

from __future__ import annotations

from flask import Flask

from creditbank.console import admin_views, auth_views, errors, imports_views, records_views, review_views
from creditbank.console.blueprint import bp


def init_console(app: Flask) -> None:
    # their routes ride on one blueprint
    assert auth_views.bp is records_views.bp is imports_views.bp is review_views.bp is admin_views.bp is bp
    app.register_blueprint(bp)
    errors.install(app)
