"""Middleware of the application.

``NoStoreMiddleware``: responses are never stored by a browser or a proxy.

``OTPMiddleware``: django-otp's, with the signed-in staff member's device
read by ``core.precompiled.PrecompiledGet`` (a query compiled once per
process; every admin page loads the device).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress

from django.apps import apps
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import add_never_cache_headers
from django_otp.middleware import OTPMiddleware as DjangoOTPMiddleware
from django_otp.models import Device

from .precompiled import PrecompiledGet


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


_device_loaders: dict[type[Device], PrecompiledGet[Device]] = {}


class OTPMiddleware(DjangoOTPMiddleware):
    """django-otp's middleware, loading the session's device with
    ``PrecompiledGet``: the same device (``Device.from_persistent_id``), and
    the same checks afterwards (it belongs to the user and is confirmed)."""

    def _device_from_persistent_id(self, persistent_id: str) -> Device | None:
        persistent_id = self._normalize_persistent_id(persistent_id)
        with suppress(ValueError, LookupError):
            model_label, device_id = persistent_id.rsplit("/", 1)
            app_label, model_name = model_label.split(".")
            device_cls = apps.get_model(app_label, model_name)
            if issubclass(device_cls, Device):
                loader = _device_loaders.get(device_cls)
                if loader is None:
                    loader = _device_loaders[device_cls] = PrecompiledGet(device_cls)
                return loader(int(device_id))
        return None
