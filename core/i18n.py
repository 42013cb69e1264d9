"""The one place that says which of our two languages is being rendered."""

from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy, gettext_noop


def current_language() -> str:
    """ "ja" when Japanese is active (portal, email, PDF), otherwise "en"."""
    return "ja" if (translation.get_language() or "en").startswith("ja") else "en"


def in_japanese() -> bool:
    return current_language() == "ja"


# --- labels that other packages show but do not translate -------------------
#
# django-otp writes its labels and help texts as plain strings and ships no
# Japanese; django-axes marks its strings but has no Japanese catalogue. The
# admin shows both, so their Japanese lives in our catalogue. The strings are
# listed here, word for word, so that ``makemessages`` keeps them in it.
THIRD_PARTY_MESSAGES = (
    # django-otp: models
    gettext_noop("TOTP device"),
    gettext_noop("TOTP devices"),
    gettext_noop("static device"),
    gettext_noop("static devices"),
    gettext_noop("static token"),
    gettext_noop("static tokens"),
    gettext_noop("user"),
    gettext_noop("name"),
    gettext_noop("confirmed"),
    gettext_noop("created at"),
    gettext_noop("last used at"),
    gettext_noop("throttling failure timestamp"),
    gettext_noop("throttling failure count"),
    gettext_noop("key"),
    gettext_noop("step"),
    gettext_noop("t0"),
    gettext_noop("digits"),
    gettext_noop("tolerance"),
    gettext_noop("drift"),
    gettext_noop("last t"),
    gettext_noop("device"),
    gettext_noop("token"),
    gettext_noop("The user that this device belongs to."),
    gettext_noop("The human-readable name of this device."),
    gettext_noop("Is this device ready for use?"),
    gettext_noop("The date and time when this device was initially created in the system."),
    gettext_noop("The most recent date and time this device was used."),
    gettext_noop(
        "A timestamp of the last failed verification attempt. Null if last attempt succeeded."
    ),
    gettext_noop("Number of successive failed attempts."),
    gettext_noop("A hex-encoded secret key of up to 40 bytes."),
    gettext_noop("The time step in seconds."),
    gettext_noop("The Unix time at which to begin counting steps."),
    gettext_noop("The number of digits to expect in a token."),
    gettext_noop("The number of time steps in the past or future to allow."),
    gettext_noop("The number of time steps the prover is known to deviate from our clock."),
    gettext_noop(
        "The t value of the latest verified token. The next token must be at a higher time step."
    ),
    # django-otp: the admin's search box
    gettext_noop("Search by user's username or email address"),
    # django-axes
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
)

# django-otp's models (and ours built on its Device) whose labels are plain strings.
_UNTRANSLATED_MODELS = ("otp_totp.TOTPDevice", "core.BackupCodeDevice")


def third_party_labels_translate() -> None:
    """Make django-otp's labels translatable: each plain label becomes a lazy
    translation of itself (the same English, so no migration changes), and
    the admin's search help likewise. Called once the admin is set up."""
    from django.apps import apps
    from django.contrib import admin

    for label in _UNTRANSLATED_MODELS:
        model = apps.get_model(label)
        opts = model._meta
        opts.verbose_name = _lazy(opts.verbose_name)
        opts.verbose_name_plural = _lazy(opts.verbose_name_plural)
        for field in opts.get_fields():
            if getattr(field, "concrete", False):
                field.verbose_name = _lazy(field.verbose_name)
                if field.help_text:
                    field.help_text = _lazy(field.help_text)
        model_admin = admin.site._registry.get(model)
        if model_admin is not None and model_admin.search_help_text:
            type(model_admin).search_help_text = _lazy(model_admin.search_help_text)


def _lazy(text: Any) -> Any:
    # str() also for Django's own lazy default plural ("{}s" of the name)
    return gettext_lazy(str(text)) if text else text
