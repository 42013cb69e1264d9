"""Authentication backends."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError

from .models import User
from .precompiled import PrecompiledGet

# The user with the library and the site, compiled once per process.
_user_by_pk = PrecompiledGet(User, "library", "site")


class UserBackend(ModelBackend):
    """Django's ModelBackend, except that a signed-in user is loaded with the
    library (portal) and the site (lending staff) in one query: every page
    reads them, and the plain backend costs a query for each. The query is
    compiled once per process (``PrecompiledGet``): compiling it again on
    every page cost a back-office list a tenth of its time."""

    def get_user(self, user_id: Any) -> User | None:  # type: ignore[override]
        try:
            user = _user_by_pk(User._meta.pk.to_python(user_id))  # type: ignore[union-attr]
        except ValidationError:
            return None
        if user is None:
            return None
        return user if self.user_can_authenticate(user) else None
