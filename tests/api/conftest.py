from tests.api.records_fixtures import shared_world, world

__all__ = ["shared_world", "world"]
