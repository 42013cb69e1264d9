"""The address a request came from, behind the reverse proxies we trust.

Behind a reverse proxy every request reaches Django from the proxy's address;
the client's is in ``X-Forwarded-For``, which each proxy extends with the
address it received the request from. A client can send that header too, so
only the entries our own proxies appended are believed: with
``NDL_TRUSTED_PROXY_COUNT`` = N, the client is the N-th entry from the right
(the one the outermost of our proxies wrote). With N = 0 (the default, for a
server without a proxy) the header is ignored.

django-axes calls this (``AXES_CLIENT_IP_CALLABLE``), so login failures are
counted per User ID and client address, not per proxy.
"""

from __future__ import annotations

import ipaddress
import logging

from django.conf import settings
from django.http import HttpRequest

logger = logging.getLogger(__name__)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: from our proxies' ``X-Forwarded-For``, else ``REMOTE_ADDR``.

    A header shorter than the number of trusted proxies, or an entry that is
    not an address, means the request did not come the configured way: the
    peer's own address is used, as without a proxy.
    """
    remote = request.META.get("REMOTE_ADDR")
    count = int(settings.NDL_TRUSTED_PROXY_COUNT)
    if count <= 0:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in header.split(",") if hop.strip()]
    if len(hops) < count:
        logger.warning(
            "X-Forwarded-For has %d address(es) but %d proxies are trusted; using %s",
            len(hops),
            count,
            remote,
        )
        return remote
    try:
        return str(ipaddress.ip_address(hops[-count]))
    except ValueError:
        logger.warning("X-Forwarded-For entry %r is not an address; using %s", hops[-count], remote)
        return remote
