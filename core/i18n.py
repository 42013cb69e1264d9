"""The one place that says which of our two languages is being rendered."""

from django.utils import translation


def current_language() -> str:
    """ "ja" when Japanese is active (portal, email, PDF), otherwise "en"."""
    return "ja" if (translation.get_language() or "en").startswith("ja") else "en"


def in_japanese() -> bool:
    return current_language() == "ja"
