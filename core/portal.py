"""Access rules shared by the portal views of every app."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from .pagecache import library_page_body

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


def library_page(
    request: HttpRequest,
    *,
    page: str,
    template: str,
    body_template: str,
    context: Callable[[], dict[str, Any]],
    params: Iterable[Any] = (),
) -> HttpResponse:
    """A portal page whose body is cached for the signed-in library.

    ``template`` extends the base layout and shows ``{{ body }}``; the body is
    ``body_template`` rendered with ``context()`` (and the library), which is
    only called when the cache has no body for this library, language, day
    and ``params`` (whatever else the body depends on).
    """
    library = request_library(request)

    def render_body() -> str:
        return render_to_string(body_template, {"library": library, **context()}, request=request)

    body = library_page_body(library_id=library.pk, page=page, params=params, render=render_body)
    return render(request, template, {"library": library, "body": body})
