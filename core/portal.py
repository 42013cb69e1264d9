"""Access rules shared by the portal views of every app."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from registration.models import Library


def library_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Only a library's portal login may pass; staff and anonymous go to login."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated or getattr(user, "library_id", None) is None:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


def request_library(request: HttpRequest) -> Library:
    library: Library | None = getattr(request.user, "library", None)
    if library is None:  # @library_required runs first; this is a programming error
        raise PermissionError("request_library() needs @library_required")
    return library
