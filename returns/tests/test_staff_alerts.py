"""The alert a sending site gets when a lent item is reported damaged or lost
is written for its staff: in Japanese, with a link to the case in the admin."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from core.models import OutgoingMail, Site
from returns.models import CaseKind
from returns.services import damage_case_report
from returns.tests.factories import HeldLoanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock(time_machine) -> None:
    time_machine.move_to("2026-03-20 10:00 +0900", tick=False)


def test_the_damage_alert_reaches_the_sending_site_in_japanese(tokyo: Site, settings) -> None:
    loan = HeldLoanFactory(library__language="en")  # the library's language does not matter
    case = damage_case_report(
        loan_id=loan.pk,
        kind=CaseKind.LOSS,
        description="Lost in the post between two branches.",
        reported_on=dt.date(2026, 3, 20),
        actor=None,
        library=loan.library,
    )
    mail = OutgoingMail.objects.get(dedupe_key=f"damage-case-reported-{case.pk}")
    assert mail.to == [tokyo.email]
    assert mail.subject.startswith("紛失の報告")
    assert f"申込み #{loan.pk}" in mail.subject
    for body in (mail.body_text, mail.body_html):
        assert "貸出資料の紛失が報告されました。" in body
        assert "図書館に、代替品の提供または全額弁償を指示してください。" in body
        assert "has been reported" not in body
        assert "Please instruct" not in body
        # The library's own words are quoted as written.
        assert "Lost in the post between two branches." in body
    url = settings.NDL_PORTAL_BASE_URL.rstrip("/") + reverse(
        "admin:returns_damagecase_change", args=[case.pk]
    )
    assert url in mail.body_text
    assert f'href="{url}"' in mail.body_html
