from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Iso18626Config(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "iso18626"
    verbose_name = _("ISO 18626 (machine-to-machine loans)")

    def ready(self) -> None:
        # The outgoing messages follow the loans' moves (loans.signals).
        from . import receivers  # noqa: F401
