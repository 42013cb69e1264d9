from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogueConfig(AppConfig):
    name = "catalogue"
    verbose_name = _("Catalogue")

    def ready(self) -> None:
        from core.pagecache import portal_pages_watch_all

        from .models import Material

        # Titles and holding sites show on every library's pages.
        portal_pages_watch_all(Material)
