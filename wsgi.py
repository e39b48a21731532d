"""WSGI entry point: `gunicorn wsgi:app` serves the web pages and API (the scheduler runs apart)."""

from creditbank import create_app

app = create_app()
