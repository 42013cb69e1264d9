import threading

import pytest
from django.db import close_old_connections

from core.tests.factories import StaffFactory
from registration import services
from registration.models import Library

from .factories import ApplicationFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_approvals_draw_different_user_ids():
    staff = StaffFactory()
    libraries = [ApplicationFactory(library__country="DE").library for _ in range(4)]
    barrier = threading.Barrier(len(libraries))
    errors: list[BaseException] = []

    def approve(library: Library) -> None:
        try:
            barrier.wait()
            services.library_approve(actor=staff, library=library)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=approve, args=(lib,)) for lib in libraries]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    ids = sorted(Library.objects.filter(country="DE").values_list("user_id", flat=True))
    assert ids == ["ILL-DE-00001", "ILL-DE-00002", "ILL-DE-00003", "ILL-DE-00004"]
