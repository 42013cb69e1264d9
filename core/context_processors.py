from typing import Any

from django.http import HttpRequest


def portal(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    library = getattr(user, "library", None) if user is not None and user.is_authenticated else None
    return {"portal_library": library}
