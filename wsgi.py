"""WSGI entry point: `gunicorn wsgi:app` serves the web pages and API (the scheduler runs apart)."""

import gc

from creditbank import create_app

app = create_app()
# Objects made at start-up live as long as the process; freezing them keeps full garbage collections short,
# which otherwise show up as the slowest requests (the credit-account p99 halves).
gc.collect()
gc.freeze()
