"""Responses of the application are never stored by a browser or a proxy."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import add_never_cache_headers


class NoStoreMiddleware:
    """``Cache-Control: no-store`` (and Django's other never-cache headers) on
    every response the application makes.

    Portal pages, the admin and every PDF or CSV download carry a library's
    data: neither a shared cache nor a browser's back-forward cache may keep
    them once the user has signed out. Static files, the only responses that
    may be cached, are served by WhiteNoise before this middleware is reached.
    The portal's page cache (``core.pagecache``) keeps page bodies on the
    server, which these headers do not concern.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        add_never_cache_headers(response)
        return response
