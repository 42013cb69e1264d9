from django.contrib.admin.apps import AdminConfig


class NdlAdminConfig(AdminConfig):
    default_site = "ndl_ill.admin_site.NdlAdminSite"
