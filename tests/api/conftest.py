from tests.api.records_fixtures import world

__all__ = ["world"]
