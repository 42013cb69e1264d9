from django.contrib.admin.apps import AdminConfig


class NdlAdminConfig(AdminConfig):
    default_site = "ndl_ill.admin_site.NdlAdminSite"

    def ready(self) -> None:
        super().ready()  # registers every app's admin
        from core.i18n import third_party_labels_translate

        third_party_labels_translate()
