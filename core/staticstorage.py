"""Static files in production: hashed names from the manifest, each URL
worked out once per process.

Every admin page asks for about twenty static URLs; the manifest storage
looks each one up and quotes it again on every request (a twentieth of a
work list's time). The manifest does not change while a process runs
(``collectstatic`` comes with a deploy), so the answers are kept.
"""

from __future__ import annotations

from typing import Any

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ManifestStaticStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name: str | None, force: bool = False) -> str:
        """The hashed URL of ``name`` (see the parent class), kept per process."""
        if force or name is None:
            return str(super().url(name, force))
        try:
            return self._urls[name]
        except KeyError:
            url = self._urls[name] = str(super().url(name))
            return url
