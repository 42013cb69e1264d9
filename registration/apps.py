from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistrationConfig(AppConfig):
    name = "registration"
    verbose_name = _("Library registration")

    def ready(self) -> None:
        from core.pagecache import library_pages_watch

        from .models import Library

        library_pages_watch(Library, library_id=lambda library: library.pk)
