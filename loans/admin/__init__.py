"""Admin of the catalogue, requests and shipments, one module per area."""

from . import catalogue, desk, nightly, requests, shipping  # noqa: F401
