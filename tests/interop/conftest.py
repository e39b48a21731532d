"""Fixtures for the credential tests."""

from tests.credentials.issued_world import issued

__all__ = ["issued"]
