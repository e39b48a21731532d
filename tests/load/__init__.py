"""The load-and-fault test: the service under gunicorn, the scheduler and PostgreSQL, driven over loopback."""
