"""Admin of requests and shipments, one module per area."""

from . import desk, nightly, requests, shipping  # noqa: F401
