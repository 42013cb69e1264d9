from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from unittest import mock

import pytest

from core.models import User
from iso18626.models import PeerAgency
from iso18626.services import peer_setup
from iso18626.xml import NS
from registration.tests.factories import LibraryFactory


@dataclass
class Peer:
    peer: PeerAgency
    code: str

    @property
    def isil(self) -> str:
        return self.peer.isil

    @property
    def user_id(self) -> str:
        return str(self.peer.library.user_id)

    @property
    def auth(self) -> dict[str, str]:
        return {"isil": self.isil, "user_id": self.user_id, "code": self.code}


def make_peer(isil: str = "US-MaCU", version: str = "1.2") -> Peer:
    library = LibraryFactory()
    User.objects.create_user(str(library.user_id), library=library)
    peer, code = peer_setup(
        library=library,
        isil=isil,
        endpoint_url="http://127.0.0.1:9/iso18626",
        schema_version=version,
        actor=None,
    )
    return Peer(peer, code)


@pytest.fixture
def peer(db: None) -> Peer:
    return make_peer()


@dataclass
class Wire:
    """What the peer's endpoint received (the outbox's POSTs), answered OK."""

    sent: list[bytes] = field(default_factory=list)
    answer_status: str = "OK"
    http_status: int = 200

    def __call__(self, url: str, body: bytes) -> tuple[int, bytes]:
        self.sent.append(body)
        return self.http_status, (
            f'<ISO18626Message xmlns="{NS}" xmlns:ill="{NS}" ill:version="1.2">'
            "<supplyingAgencyMessageConfirmation><confirmationHeader>"
            "<timestamp>2026-11-20T10:00:00Z</timestamp>"
            "<timestampReceived>2026-11-20T10:00:00Z</timestampReceived>"
            f"<messageStatus>{self.answer_status}</messageStatus></confirmationHeader>"
            "</supplyingAgencyMessageConfirmation></ISO18626Message>"
        ).encode()


@pytest.fixture
def wire() -> Iterator[Wire]:
    recorder = Wire()
    with mock.patch("iso18626.services._post", recorder):
        yield recorder
