"""A fourth, read-only service built only by following docs/adding-a-service.md."""
