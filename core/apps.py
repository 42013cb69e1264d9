from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Users, sites and audit")

    def ready(self) -> None:
        from .models import Site
        from .pagecache import portal_pages_touch_after_migrate, portal_pages_watch_all
        from .roles import roles_sync_after_migrate

        post_migrate.connect(roles_sync_after_migrate, dispatch_uid="core.roles_sync")
        # A deploy migrates, and may change any template or translation.
        post_migrate.connect(portal_pages_touch_after_migrate, dispatch_uid="core.pagecache")
        # Site names and return addresses show on every library's pages.
        portal_pages_watch_all(Site)
