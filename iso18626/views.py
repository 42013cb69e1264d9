"""``POST /iso18626/``: one ISO18626Message in, its confirmation out."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .services import message_receive
from .xml import MAX_BYTES, ErrorType, Incoming, confirmation

CONTENT_TYPE = "application/xml; charset=utf-8"


@csrf_exempt  # machine-to-machine: authenticated by the message's security code
@require_POST
def endpoint(request: HttpRequest) -> HttpResponse:
    """Answer 200 with the confirmation, ``messageStatus`` OK or ERROR; a body
    over 100 KB is not read (413, with an ERROR confirmation)."""
    from django.utils import timezone

    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        length = 0
    if length > MAX_BYTES:
        answer = confirmation(
            incoming=Incoming(),
            ok=False,
            received_at=timezone.now(),
            error_type=ErrorType.BADLY_FORMED,
            error_value=f"message larger than {MAX_BYTES} bytes",
        )
        return HttpResponse(answer, status=413, content_type=CONTENT_TYPE)
    body = request.read(MAX_BYTES + 1)
    answer, _ok = message_receive(body=body)
    return HttpResponse(answer, content_type=CONTENT_TYPE)
