"""Sample catalogue for `make run` (filled in with the catalogue work)."""


def seed_demo_catalogue() -> int:
    """Create the sample materials; return how many were created or updated."""
    return 0
