"""Portal URLs of the loans app: requests (``urls_requests``) and
shipping/receipt (``urls_shipping``)."""

from . import urls_requests, urls_shipping

app_name = "loans"

urlpatterns = [*urls_requests.urlpatterns, *urls_shipping.urlpatterns]
