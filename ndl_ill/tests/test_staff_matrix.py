"""Every role can do exactly what its job needs.

The staff access matrix is generated from the URL configuration: every admin
URL, custom views included, is requested by every staff role with GET and
with an empty POST, and each answer is compared with ``EXPECTED`` below. A new
admin URL that the table does not list fails the suite, and so does a listed
URL that no longer exists. An empty POST never changes anything (forms are
invalid, delete confirmations need their "yes"), so the whole walk must leave
every row as it was.

To print the table the code answers today (to review it, then paste it):
``NDL_STAFF_MATRIX_PRINT=1 pytest ndl_ill/tests/test_staff_matrix.py -k matches -s``.
"""

from __future__ import annotations

import datetime as dt
import os
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.errors import DomainError
from core.models import AuditEntry, OutgoingMail, Site, SiteCode, User
from core.roles import LENDING_STAFF, REGISTRATION_OFFICER, SUPERVISOR
from core.tests.factories import StaffFactory, backup_codes_give
from loans.models import LoanRequest, LoanStatus
from loans.services.shipping import (
    loan_pack,
    receipt_letter_record,
    shipment_dispatch,
    shipment_record_delivery,
    shipment_undelivered_record,
)
from loans.tests.factories import (
    AcceptedLoanFactory,
    LoanRequestFactory,
    PackedLoanFactory,
    s10_number,
)
from registration.models import Library
from registration.tests.factories import LibraryFactory
from returns.models import CheckIn, DamageCase, Instruction, ItemCondition, ReturnParcel
from returns.services import (
    damage_case_instruct,
    damage_case_report,
    damage_case_settle,
    loan_check_in,
    return_parcel_check_in,
)
from returns.tests.factories import DamageCaseFactory, HeldLoanFactory, ShippedLoanFactory

from .test_access_matrix import (
    Route,
    _admin_url,
    admin_objects,
    admin_routes,
    row_counts,
)

pytestmark = pytest.mark.django_db

__all__ = ["admin_objects"]  # the fixture, used by name below

GOOD = "correct horse battery staple"

# The roles, in the order of the table's columns.
ROLES = (
    "none",  # is_staff, no group, no permission
    "officer",  # Registration officer (Kansai-kan ILL Section)
    "tokyo",  # Lending staff, Tokyo Main Library
    "kansai",  # Lending staff, Kansai-kan
    "ilcl",  # Lending staff, International Library of Children's Literature
    "supervisor",
    "superuser",
)
LENDING_SITES = {"tokyo": SiteCode.TOKYO, "kansai": SiteCode.KANSAI, "ilcl": SiteCode.ILCL}


@pytest.fixture(autouse=True)
def _clock(time_machine) -> None:
    # After the factories' dates (applications received 2026-10-01).
    time_machine.move_to("2026-11-20 10:00 +0900", tick=False)


def make_staff(role: str) -> User:
    """A staff login of ``role`` (one of ``ROLES``)."""
    user = User.objects.create_user(
        f"matrix-{role}", password=GOOD, is_staff=True, is_superuser=role == "superuser"
    )
    if role in LENDING_SITES:
        user.site = Site.objects.get(code=LENDING_SITES[role])
        user.save(update_fields=["site"])
        user.groups.add(Group.objects.get(name=LENDING_STAFF))
    elif role == "officer":
        user.groups.add(Group.objects.get(name=REGISTRATION_OFFICER))
    elif role == "supervisor":
        user.groups.add(Group.objects.get(name=SUPERVISOR))
    return User.objects.get(pk=user.pk)  # a fresh permission cache


# --- the matrix ------------------------------------------------------------------------

# One cell per role, in the order of ROLES: the status code's first digit, or
# F (403 forbidden), N (404 not found), M (405 method not allowed). The data
# the URLs point to is held at and sent from Tokyo, so Kansai-kan's and
# ILCL's lending staff get N where a page is scoped to a site.
#   2 = 200 (the page, or the form again with its errors)   3 = 302 (redirect)
#
# Columns: n(one) o(fficer) t(okyo) k(ansai) i(lcl) s(upervisor) u = superuser.
# key: URL name, or route when unnamed             GET        POST
#                                                  notkisu    notkisu
# fmt: off
EXPECTED: dict[str, tuple[str, str]] = {
    "(?P<url>.*)$":                               ("NNNNNNN", "NNNNNNN"),
    "app_list":                                   ("N222222", "N222222"),
    "auth/group/<path:object_id>/":               ("3333333", "3333333"),
    "auth_group_add":                             ("FFFFFF2", "FFFFFF2"),
    "auth_group_change":                          ("FFFFFF2", "FFFFFF2"),
    "auth_group_changelist":                      ("FFFFFF2", "FFFFFF2"),
    "auth_group_delete":                          ("FFFFFF2", "FFFFFF2"),
    "auth_group_history":                         ("FFFFFF2", "FFFFFF2"),
    "auth_user_password_change":                  ("FFFFFF2", "FFFFFF2"),
    "autocomplete":                               ("FFFFFFF", "MMMMMMM"),
    "axes/accessattempt/<path:object_id>/":       ("3333333", "3333333"),
    "axes/accessfailurelog/<path:object_id>/":    ("3333333", "3333333"),
    "axes/accesslog/<path:object_id>/":           ("3333333", "3333333"),
    "axes_accessattempt_add":                     ("FFFFFFF", "FFFFFFF"),
    "axes_accessattempt_change":                  ("FFFFFF3", "FFFFFF3"),
    "axes_accessattempt_changelist":              ("FFFFFF2", "FFFFFF2"),
    "axes_accessattempt_delete":                  ("FFFFFF3", "FFFFFF3"),
    "axes_accessattempt_history":                 ("3333333", "3333333"),
    "axes_accessfailurelog_add":                  ("FFFFFFF", "FFFFFFF"),
    "axes_accessfailurelog_change":               ("FFFFFF3", "FFFFFF3"),
    "axes_accessfailurelog_changelist":           ("FFFFFF2", "FFFFFF2"),
    "axes_accessfailurelog_delete":               ("FFFFFF3", "FFFFFF3"),
    "axes_accessfailurelog_history":              ("3333333", "3333333"),
    "axes_accesslog_add":                         ("FFFFFFF", "FFFFFFF"),
    "axes_accesslog_change":                      ("FFFFFF3", "FFFFFF3"),
    "axes_accesslog_changelist":                  ("FFFFFF2", "FFFFFF2"),
    "axes_accesslog_delete":                      ("FFFFFF3", "FFFFFF3"),
    "axes_accesslog_history":                     ("3333333", "3333333"),
    "catalogue/material/<path:object_id>/":       ("3333333", "3333333"),
    "catalogue_material_add":                     ("F2FFF22", "F2FFF22"),
    "catalogue_material_change":                  ("F222222", "F2FFF22"),
    "catalogue_material_changelist":              ("F222222", "F222222"),
    "catalogue_material_delete":                  ("F2FFF22", "F2FFF22"),
    "catalogue_material_history":                 ("F222222", "F222222"),
    "conversations/thread/<path:object_id>/":     ("3333333", "3333333"),
    "conversations_thread_add":                   ("FFFFFFF", "FFFFFFF"),
    "conversations_thread_change":                ("F333333", "F333333"),
    "conversations_thread_changelist":            ("F222222", "F222222"),
    "conversations_thread_delete":                ("FFFFFFF", "FFFFFFF"),
    "conversations_thread_history":               ("3222222", "3222222"),
    "conversations_thread_library":               ("F2FFF22", "F2FFF22"),
    "conversations_thread_request":               ("F222222", "F222222"),
    "copies/copypolicy/<path:object_id>/":        ("3333333", "3333333"),
    "copies/copyqueueitem/<path:object_id>/":     ("3333333", "3333333"),
    "copies/copyrequest/<path:object_id>/":       ("3333333", "3333333"),
    "copies/feerate/<path:object_id>/":           ("3333333", "3333333"),
    "copies/invoice/<path:object_id>/":           ("3333333", "3333333"),
    "copies/payment/<path:object_id>/":           ("3333333", "3333333"),
    "copies/postalzone/<path:object_id>/":        ("3333333", "3333333"),
    "copies_copypolicy_add":                      ("F2FFF22", "F2FFF22"),
    "copies_copypolicy_change":                   ("F222222", "F2FFF22"),
    "copies_copypolicy_changelist":               ("F222222", "F222222"),
    "copies_copypolicy_delete":                   ("F2FFF22", "F2FFF22"),
    "copies_copypolicy_history":                  ("F222222", "F222222"),
    "copies_copyqueueitem_add":                   ("FFFFFFF", "FFFFFFF"),
    "copies_copyqueueitem_change":                ("F223322", "FFF33FF"),
    "copies_copyqueueitem_changelist":            ("F222222", "F222222"),
    "copies_copyqueueitem_delete":                ("FFFFFFF", "FFFFFFF"),
    # Photocopies: each site's lending staff make and send the copies their site
    # holds (404 for another site's); the ILL Section decides, keys in and keeps
    # the fee table; no refused request exists in the walk's data (letter 404).
    "copies_copyqueueitem_dispatch":              ("FF2NN22", "FF2NN22"),
    "copies_copyqueueitem_history":               ("F223322", "F223322"),
    "copies_copyqueueitem_record":                ("FF2NN22", "FF2NN22"),
    "copies_copyqueueitem_slip":                  ("F22NN22", "F22NN22"),
    "copies_copyrequest_add":                     ("FFFFFFF", "FFFFFFF"),
    "copies_copyrequest_change":                  ("F222222", "FFFFFFF"),
    "copies_copyrequest_changelist":              ("F222222", "F222222"),
    "copies_copyrequest_decide":                  ("F2FFF22", "F2FFF22"),
    "copies_copyrequest_delete":                  ("FFFFFFF", "FFFFFFF"),
    "copies_copyrequest_history":                 ("F222222", "F222222"),
    "copies_copyrequest_key_in":                  ("F2FFF22", "F2FFF22"),
    "copies_copyrequest_letter":                  ("FNNNNNN", "FNNNNNN"),
    "copies_feerate_add":                         ("F2FFF22", "F2FFF22"),
    # A fee line already in force is read-only: the empty POST saves nothing new.
    "copies_feerate_change":                      ("F2FFF22", "F3FFF33"),
    "copies_feerate_changelist":                  ("F2FFF22", "F2FFF22"),
    "copies_feerate_delete":                      ("FFFFFFF", "FFFFFFF"),
    "copies_feerate_history":                     ("F2FFF22", "F2FFF22"),
    "copies_invoice_add":                         ("FFFFFFF", "FFFFFFF"),
    "copies_invoice_balances":                    ("F222222", "F222222"),
    "copies_invoice_change":                      ("F222222", "FFFFFFF"),
    "copies_invoice_changelist":                  ("F222222", "F222222"),
    "copies_invoice_delete":                      ("FFFFFFF", "FFFFFFF"),
    "copies_invoice_history":                     ("F222222", "F222222"),
    "copies_invoice_payment":                     ("F2FFF22", "F2FFF22"),
    "copies_invoice_pdf":                         ("F222222", "F222222"),
    "copies_payment_add":                         ("FFFFFFF", "FFFFFFF"),
    "copies_payment_change":                      ("F2FFF22", "FFFFFFF"),
    "copies_payment_changelist":                  ("F2FFF22", "F2FFF22"),
    "copies_payment_delete":                      ("FFFFFFF", "FFFFFFF"),
    "copies_payment_history":                     ("F2FFF22", "F2FFF22"),
    "copies_postalzone_add":                      ("F2FFF22", "F2FFF22"),
    "copies_postalzone_change":                   ("F2FFF22", "F2FFF22"),
    "copies_postalzone_changelist":               ("F2FFF22", "F2FFF22"),
    "copies_postalzone_delete":                   ("F2FFF22", "F2FFF22"),
    "copies_postalzone_history":                  ("F2FFF22", "F2FFF22"),
    "core/auditentry/<path:object_id>/":          ("3333333", "3333333"),
    "core/backupcodedevice/<path:object_id>/":    ("3333333", "3333333"),
    "core/outgoingmail/<path:object_id>/":        ("3333333", "3333333"),
    "core/site/<path:object_id>/":                ("3333333", "3333333"),
    "core/user/<path:object_id>/":                ("3333333", "3333333"),
    "core_auditentry_add":                        ("FFFFFFF", "FFFFFFF"),
    "core_auditentry_change":                     ("FFFFF33", "FFFFFFF"),
    "core_auditentry_changelist":                 ("FFFFF22", "FFFFF22"),
    "core_auditentry_delete":                     ("FFFFFFF", "FFFFFFF"),
    "core_auditentry_history":                    ("3333333", "3333333"),
    # Backup codes: superusers only; new codes come from a list action, never an add form.
    "core_backupcodedevice_add":                  ("FFFFFFF", "FFFFFFF"),
    "core_backupcodedevice_change":               ("FFFFFF2", "FFFFFF2"),
    "core_backupcodedevice_changelist":           ("FFFFFF2", "FFFFFF2"),
    "core_backupcodedevice_delete":               ("FFFFFF2", "FFFFFF2"),
    "core_backupcodedevice_history":              ("FFFFFF2", "FFFFFF2"),
    "core_outgoingmail_add":                      ("FFFFFFF", "FFFFFFF"),
    "core_outgoingmail_change":                   ("FFFFF33", "FFFFFFF"),
    "core_outgoingmail_changelist":               ("FFFFF22", "FFFFF22"),
    "core_outgoingmail_delete":                   ("FFFFFFF", "FFFFFFF"),
    "core_outgoingmail_history":                  ("3333333", "3333333"),
    "core_site_add":                              ("FFFFFF2", "FFFFFF2"),
    "core_site_change":                           ("F222222", "FFFFF22"),
    "core_site_changelist":                       ("F222222", "F222222"),
    "core_site_delete":                           ("FFFFFF2", "FFFFFF2"),
    "core_site_history":                          ("F222222", "F222222"),
    "core_user_add":                              ("FFFFFF2", "FFFFFF2"),
    "core_user_change":                           ("FFFFF22", "FFFFFF2"),
    "core_user_changelist":                       ("FFFFF22", "FFFFF22"),
    "core_user_delete":                           ("FFFFFF2", "FFFFFF2"),
    "core_user_history":                          ("FFFFF22", "FFFFF22"),
    "index":                                      ("2222222", "2222222"),
    "jsi18n":                                     ("2222222", "MMMMMMM"),
    "iso18626/isomessage/<path:object_id>/":      ("3333333", "3333333"),
    "iso18626/isotransaction/<path:object_id>/":  ("3333333", "3333333"),
    "iso18626/peeragency/<path:object_id>/":      ("3333333", "3333333"),
    "iso18626_isomessage_add":                    ("FFFFFFF", "FFFFFFF"),
    "iso18626_isomessage_change":                 ("F2FFF22", "FFFFF33"),
    "iso18626_isomessage_changelist":             ("F2FFF22", "F2FFF22"),
    "iso18626_isomessage_delete":                 ("FFFFFFF", "FFFFFFF"),
    "iso18626_isomessage_history":                ("F2FFF22", "F2FFF22"),
    "iso18626_isotransaction_add":                ("FFFFFFF", "FFFFFFF"),
    "iso18626_isotransaction_change":             ("F2FFF22", "F2FFF22"),
    "iso18626_isotransaction_changelist":         ("F2FFF22", "F2FFF22"),
    "iso18626_isotransaction_delete":             ("FFFFFFF", "FFFFFFF"),
    "iso18626_isotransaction_history":            ("F2FFF22", "F2FFF22"),
    "iso18626_isotransaction_identify":           ("F2FFF22", "F2FFF22"),
    "iso18626_peeragency_add":                    ("FFFFF22", "FFFFF22"),
    "iso18626_peeragency_change":                 ("FFFFF22", "FFFFF22"),
    "iso18626_peeragency_changelist":             ("FFFFF22", "FFFFF22"),
    "iso18626_peeragency_delete":                 ("FFFFF22", "FFFFF22"),
    "iso18626_peeragency_history":                ("FFFFF22", "FFFFF22"),
    "loans/loanrequest/<path:object_id>/":        ("3333333", "3333333"),
    "loans/overdueloan/<path:object_id>/":        ("3333333", "3333333"),
    "loans/pullqueueitem/<path:object_id>/":      ("3333333", "3333333"),
    "loans/pullslipbatch/<path:object_id>/":      ("3333333", "3333333"),
    "loans/shipment/<path:object_id>/":           ("3333333", "3333333"),
    "loans/shipqueueitem/<path:object_id>/":      ("3333333", "3333333"),
    # The lending desk: lending staff and supervisors. An empty POST to pack
    # or check in is refused with a message and a redirect to the desk.
    "loans_desk":                                 ("FF22222", "FF22222"),
    "loans_desk_check_in":                        ("FF33333", "FF33333"),
    "loans_desk_pack":                            ("FF33333", "FF33333"),
    "loans_loanrequest_add":                      ("FFFFFFF", "FFFFFFF"),
    "loans_loanrequest_change":                   ("F222222", "FFFFFFF"),
    "loans_loanrequest_changelist":               ("F222222", "F222222"),
    "loans_loanrequest_decide":                   ("F2FFF22", "F2FFF22"),
    "loans_loanrequest_delete":                   ("FFFFFFF", "FFFFFFF"),
    "loans_loanrequest_history":                  ("F222222", "F222222"),
    "loans_loanrequest_key_in":                   ("F2FFF22", "F2FFF22"),
    "loans_loanrequest_letter":                   ("F222222", "F222222"),
    "loans_overdueloan_add":                      ("FFFFFFF", "FFFFFFF"),
    "loans_overdueloan_change":                   ("F333333", "FFFFFFF"),
    "loans_overdueloan_changelist":               ("F222222", "F222222"),
    "loans_overdueloan_delete":                   ("FFFFFFF", "FFFFFFF"),
    "loans_overdueloan_history":                  ("3333333", "3333333"),
    "loans_pullqueueitem_add":                    ("FFFFFFF", "FFFFFFF"),
    "loans_pullqueueitem_change":                 ("FF33333", "FFFFFFF"),
    "loans_pullqueueitem_changelist":             ("FF22222", "FF22222"),
    "loans_pullqueueitem_delete":                 ("FFFFFFF", "FFFFFFF"),
    "loans_pullqueueitem_history":                ("3333333", "3333333"),
    "loans_pullslipbatch_add":                    ("FFFFFFF", "FFFFFFF"),
    "loans_pullslipbatch_change":                 ("FF33333", "FFFFFFF"),
    "loans_pullslipbatch_changelist":             ("FF22222", "FF22222"),
    "loans_pullslipbatch_delete":                 ("FFFFFFF", "FFFFFFF"),
    "loans_pullslipbatch_history":                ("3333333", "3333333"),
    # Lending staff's empty POST: "nothing new to print", back to the page.
    # Supervisors choose the site first. No batch exists in the walk's data.
    "loans_pullslipbatch_new":                    ("FF22222", "FF33322"),
    "loans_pullslipbatch_pdf":                    ("FFNNNNN", "FFNNNNN"),
    "loans_shipment_add":                         ("FFFFFFF", "FFFFFFF"),
    "loans_shipment_change":                      ("F223322", "FFFFFFF"),
    "loans_shipment_changelist":                  ("F222222", "F222222"),
    "loans_shipment_delete":                      ("FFFFFFF", "FFFFFFF"),
    "loans_shipment_delivery":                    ("FF2NN22", "FF2NN22"),
    "loans_shipment_history":                     ("F223322", "F223322"),
    "loans_shipment_pdf":                         ("F22NN22", "F22NN22"),
    "loans_shipment_receipt_letter":              ("FF2NN22", "FF2NN22"),
    "loans_shipment_undelivered":                 ("FF2NN22", "FF2NN22"),
    "loans_shipqueueitem_add":                    ("FFFFFFF", "FFFFFFF"),
    "loans_shipqueueitem_change":                 ("FF33333", "FFFFFFF"),
    "loans_shipqueueitem_changelist":             ("FF22222", "FF22222"),
    "loans_shipqueueitem_delete":                 ("FFFFFFF", "FFFFFFF"),
    "loans_shipqueueitem_history":                ("3333333", "3333333"),
    "logout":                                     ("MMMMMMM", "3333333"),
    "otp_totp/totpdevice/<path:object_id>/":      ("3333333", "3333333"),
    "otp_totp_totpdevice_add":                    ("FFFFFF2", "FFFFFF2"),
    "otp_totp_totpdevice_change":                 ("FFFFFF2", "FFFFFF2"),
    "otp_totp_totpdevice_changelist":             ("FFFFFF2", "FFFFFF2"),
    # OTP_ADMIN_HIDE_SENSITIVE_DATA: an existing device's key is never shown again.
    "otp_totp_totpdevice_config":                 ("FFFFFFF", "FFFFFFF"),
    "otp_totp_totpdevice_delete":                 ("FFFFFF2", "FFFFFF2"),
    "otp_totp_totpdevice_history":                ("FFFFFF2", "FFFFFF2"),
    "otp_totp_totpdevice_qrcode":                 ("FFFFFFF", "FFFFFFF"),
    "password_change":                            ("2222222", "2222222"),
    "password_change_done":                       ("2222222", "MMMMMMM"),
    "registration/application/<path:object_id>/": ("3333333", "3333333"),
    "registration/library/<path:object_id>/":     ("3333333", "3333333"),
    "registration_application_add":               ("F2FFF22", "F2FFF22"),
    "registration_application_approve":           ("F2FFF22", "F3FFF33"),
    "registration_application_change":            ("F2FFF22", "F2FFF22"),
    "registration_application_changelist":        ("F2FFF22", "F2FFF22"),
    "registration_application_delete":            ("FFFFFFF", "FFFFFFF"),
    "registration_application_history":           ("F2FFF22", "F2FFF22"),
    "registration_application_reject":            ("F2FFF22", "F2FFF22"),
    "registration_application_reply":             ("F2FFF22", "F2FFF22"),
    "registration_application_request_info":      ("F2FFF22", "F2FFF22"),
    "registration_application_scan":              ("FNFFFNN", "FNFFFNN"),
    "registration_application_scan_add":          ("F2FFF22", "F2FFF22"),
    "registration_library_add":                   ("FFFFFFF", "FFFFFFF"),
    "registration_library_change":                ("F222222", "F2FFF22"),
    "registration_library_change_notice":         ("F2FFF22", "F2FFF22"),
    "registration_library_changelist":            ("F222222", "F222222"),
    "registration_library_delete":                ("FFFFFFF", "FFFFFFF"),
    "registration_library_document":              ("F222222", "F222222"),
    "registration_library_history":               ("F222222", "F222222"),
    "registration_library_password_link":         ("F2FFF22", "F2FFF22"),
    "registration_library_status":                ("F2FFF22", "F2FFF22"),
    "returns/checkin/<path:object_id>/":          ("3333333", "3333333"),
    "returns/damagecase/<path:object_id>/":       ("3333333", "3333333"),
    "returns/returnparcel/<path:object_id>/":     ("3333333", "3333333"),
    "returns_checkin_add":                        ("FF22222", "FF22222"),
    "returns_checkin_change":                     ("FF33333", "FFFFFFF"),
    "returns_checkin_changelist":                 ("FF22222", "FF22222"),
    "returns_checkin_delete":                     ("FFFFFFF", "FFFFFFF"),
    "returns_checkin_history":                    ("3333333", "3333333"),
    "returns_damagecase_add":                     ("FF22222", "FF22222"),
    "returns_damagecase_change":                  ("F223322", "FFFFFFF"),
    "returns_damagecase_changelist":              ("F222222", "F222222"),
    "returns_damagecase_delete":                  ("FFFFFFF", "FFFFFFF"),
    "returns_damagecase_history":                 ("F223322", "F223322"),
    "returns_damagecase_instruct":                ("F22NN22", "F22NN22"),
    "returns_damagecase_settle":                  ("F22NN22", "F22NN22"),
    "returns_returnparcel_add":                   ("FFFFFFF", "FFFFFFF"),
    "returns_returnparcel_change":                ("FF23322", "FFFFFFF"),
    "returns_returnparcel_changelist":            ("FF22222", "FF22222"),
    "returns_returnparcel_check_in":              ("FF2NN22", "FF2NN22"),
    "returns_returnparcel_delete":                ("FFFFFFF", "FFFFFFF"),
    "returns_returnparcel_history":               ("FF23322", "FF23322"),
    "statistics":                                 ("F222222", "F222222"),
}
# fmt: on

# Cells where a role's answer depends on nothing but being signed-in staff.
ALWAYS_SIGNED_IN = {"index", "jsi18n", "password_change", "password_change_done", "logout"}


def route_key(route: Route) -> str:
    return route.name or route.route


# Arguments that differ from the portal matrix's guesses.
URL_KWARGS = {"registration_library_document": {"kind": "certificate"}}


# Pages addressed by another model's primary key: the first row of that model,
# as the generic walk takes for ``pk`` (ids are not 1 on every database).
PK_KWARGS: dict[str, tuple[str, type[Any]]] = {
    "conversations_thread_request": ("loan_pk", LoanRequest),
    "conversations_thread_library": ("library_pk", Library),
}


def _matrix_url(route: Route) -> str:
    if route.name in PK_KWARGS:
        param, model = PK_KWARGS[route.name]
        row = model._default_manager.order_by("pk").first()
        assert row is not None, route.name
        return reverse(f"admin:{route.name}", kwargs={param: row.pk})
    if route.name in URL_KWARGS:
        first = Library.objects.exclude(user_id=None).order_by("pk").first()
        assert first is not None
        return reverse(f"admin:{route.name}", kwargs={"pk": first.pk, **URL_KWARGS[route.name]})
    return _admin_url(route)


def matrix_routes() -> list[Route]:
    # The public sign-in and "view on site" are tested in test_access_matrix.
    return [r for r in admin_routes() if r.name not in ("login", "view_on_site")]


def matrix_targets() -> list[tuple[str, Route, str]]:
    return [(route_key(r), r, _matrix_url(r)) for r in matrix_routes()]


def _cell(response: Any) -> str:
    status = response.status_code
    return {403: "F", 404: "N", 405: "M"}.get(status, str(status)[0])


def _ask(client: Any, method: str, url: str) -> tuple[str, bool]:
    """The answer's cell, and whether the request wrote an audit entry or an
    email. Each request runs in a savepoint that is rolled back, so every cell
    starts from the same data (a confirm-only page such as "approve" does act
    on an empty POST)."""
    with transaction.atomic():
        before = AuditEntry.objects.count(), OutgoingMail.objects.count()
        response = getattr(client, method)(url, {})
        changed = (AuditEntry.objects.count(), OutgoingMail.objects.count()) != before
        transaction.set_rollback(True)
    return _cell(response), changed


def observe(client: Any) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """The answer of every admin URL to every role, GET and empty POST, and
    the refused requests that changed something anyway."""
    users = {role: make_staff(role) for role in ROLES}
    targets = matrix_targets()
    seen: dict[str, list[list[str]]] = {key: [[], []] for key, _r, _u in targets}
    leaks = []
    for role in ROLES:
        client.force_login(users[role])
        for key, _route, url in targets:
            for column, method in enumerate(("get", "post")):
                cell, changed = _ask(client, method, url)
                seen[key][column].append(cell)
                if changed and cell in "FNM":
                    leaks.append(f"{role} {method.upper()} {url}")
                if key == "logout" and method == "post":
                    client.force_login(users[role])
    observed = {key: ("".join(get), "".join(post)) for key, (get, post) in seen.items()}
    return observed, leaks


def test_every_admin_url_is_in_the_table() -> None:
    keys = [route_key(r) for r in matrix_routes()]
    assert len(keys) == len(set(keys)), "two admin URLs share a name"
    missing = sorted(set(keys) - set(EXPECTED))
    assert not missing, f"add these admin URLs to the staff matrix: {missing}"
    stale = sorted(set(EXPECTED) - set(keys))
    assert not stale, f"these admin URLs no longer exist: {stale}"


def test_the_table_has_one_answer_per_role_and_method() -> None:
    for key, cells in EXPECTED.items():
        assert len(cells) == 2, key
        for column in cells:
            assert len(column) == len(ROLES), key
            assert set(column) <= set("23FNM"), key


@pytest.fixture
def first_objects(db: None) -> None:
    """Made before ``admin_objects``, so that the first request (the one the
    pk-taking pages open) is a refused one with a refusal letter."""
    LoanRequestFactory(status=LoanStatus.REJECTED)


@pytest.fixture
def devices(db: None) -> None:
    """A second-factor device of each kind, for the pages that take one's id."""
    staff = StaffFactory(username="device-owner")
    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    backup_codes_give(staff)


def test_every_role_gets_exactly_the_answers_of_the_table(
    client, first_objects, admin_objects, devices
) -> None:
    def counts() -> dict[str, int]:
        return {label: n for label, n in row_counts().items() if label != "core.User"}

    before = counts()
    audit = AuditEntry.objects.count()
    observed, leaks = observe(client)  # makes one login per role
    assert not leaks, "refused, yet something changed: " + ", ".join(leaks)
    size = len(observed) * len(ROLES) * 2
    print(f"\nstaff access matrix: {len(observed)} URLs x {len(ROLES)} roles x 2 methods = {size}")
    if os.environ.get("NDL_STAFF_MATRIX_PRINT"):
        for key in sorted(observed):
            get, post = observed[key]
            print(f'    "{key}": ("{get}", "{post}"),')
    wrong = [
        f"{key}: expected GET {EXPECTED.get(key, ('?',))[0]} POST "
        f"{EXPECTED.get(key, ('?', '?'))[1]}, got GET {got[0]} POST {got[1]}"
        for key, got in sorted(observed.items())
        if EXPECTED.get(key) != got
    ]
    assert not wrong, "roles: " + " ".join(ROLES) + "\n" + "\n".join(wrong)
    assert counts() == before
    assert AuditEntry.objects.count() == audit


def test_staff_without_permissions_open_nothing_but_their_own_account() -> None:
    """The "none" column: every model page and custom view refuses them."""
    pages = {key for key, (get, post) in EXPECTED.items() if "2" in (get[0], post[0])}
    assert pages <= ALWAYS_SIGNED_IN, sorted(pages - ALWAYS_SIGNED_IN)
    # Redirects: signing out, and the admin's "no such object" and
    # "<id>/ -> <id>/change/" shortcuts, which show nothing.
    redirects = {key for key, (get, post) in EXPECTED.items() if "3" in (get[0], post[0])}
    shortcuts = {k for k in redirects if k.endswith(("<path:object_id>/", "_history"))}
    assert redirects - shortcuts <= ALWAYS_SIGNED_IN, sorted(redirects - shortcuts)


# --- the examples of the issue, and the services' site scope ---------------------------


@pytest.fixture
def otp_required(settings) -> None:
    settings.NDL_ADMIN_REQUIRE_OTP = True


def _sign_in_with_backup_code(client: Any, user: User) -> None:
    backup_codes_give(user, "matrix12")
    data = {"username": user.username, "password": GOOD, "otp_token": "matrix12"}
    assert client.post(reverse("admin:login"), data).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200  # past the second factor


def test_staff_without_permissions_cannot_record_a_delivery_or_check_an_item_in(
    client, otp_required, tokyo
) -> None:
    staff = make_staff("none")
    _sign_in_with_backup_code(client, staff)
    loan = ShippedLoanFactory()
    shipment = loan.shipment
    audit = AuditEntry.objects.count()

    response = client.post(
        reverse("admin:loans_shipment_delivery", args=[shipment.pk]),
        {"delivered_on": "2026-03-10"},
    )
    assert response.status_code == 403
    response = client.post(
        reverse("admin:returns_checkin_add"),
        {
            "ndl_id": loan.material.ndl_id,
            "site": tokyo.pk,
            "checked_in_on": "2026-11-19",
            "condition": ItemCondition.GOOD,
        },
    )
    assert response.status_code == 403

    shipment.refresh_from_db()
    loan.refresh_from_db()
    assert shipment.delivered_on is None
    assert loan.status == LoanStatus.SHIPPED
    assert not CheckIn.objects.exists()
    assert AuditEntry.objects.count() == audit
    assert not AuditEntry.objects.filter(actor=staff).exists()


def test_the_refusal_is_a_page_of_the_admin(client) -> None:
    client.force_login(make_staff("tokyo"))
    response = client.get(reverse("admin:loans_loanrequest_key_in"))
    assert response.status_code == 403
    assert "admin/403.html" in [t.name for t in response.templates]
    page = response.content.decode()
    assert 'id="header"' in page  # the admin's frame and style sheets
    assert "Your role does not include this page" in page
    assert reverse("admin:index") in page


def test_tokyo_staff_cannot_open_a_case_for_a_loan_kansai_kan_shipped(
    client, kansai, django_capture_on_commit_callbacks
) -> None:
    loan = HeldLoanFactory(material__site=kansai)
    client.force_login(make_staff("tokyo"))
    data = {"loan_id": loan.pk, "kind": "loss", "description": "Lost.", "reported_on": "2026-11-19"}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("admin:returns_damagecase_add"), data)
    assert response.status_code == 200
    assert "this item is handled by another NDL site" in response.content.decode()
    loan.refresh_from_db()
    assert loan.status == LoanStatus.RECEIVED
    assert not DamageCase.objects.exists()
    assert not OutgoingMail.objects.exists()
    assert callbacks == []
    assert mail.outbox == []


def test_kansai_staff_open_the_same_case(
    client, kansai, django_capture_on_commit_callbacks
) -> None:
    """The control: the refusal above is the site, not a broken form."""
    loan = HeldLoanFactory(material__site=kansai)
    client.force_login(make_staff("kansai"))
    data = {"loan_id": loan.pk, "kind": "loss", "description": "Lost.", "reported_on": "2026-11-19"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:returns_damagecase_add"), data)
    assert response.status_code == 302
    loan.refresh_from_db()
    assert loan.status == LoanStatus.LOST
    assert OutgoingMail.objects.filter(to=[kansai.email]).count() == 1


def _kansai_case() -> DamageCase:
    loan = HeldLoanFactory(material__site=Site.objects.get(code=SiteCode.KANSAI))
    case: DamageCase = DamageCaseFactory(loan=loan)
    return case


def _instructed_kansai_case() -> DamageCase:
    case = _kansai_case()
    case.status, case.instruction = "instructed", Instruction.REPLACEMENT
    case.instructed_on = dt.date(2026, 11, 1)
    case.save()
    return case


def _kansai_parcel() -> ReturnParcel:
    loan = HeldLoanFactory(**_kansai())
    parcel = ReturnParcel.objects.create(
        library=loan.library,
        site=loan.shipment.site,
        method="registered_air_mail",
        tracking_number="RR000000000JP",
        sent_on=dt.date(2026, 11, 10),
    )
    parcel.loans.add(loan)
    return parcel


def _kansai(**kwargs: Any) -> Any:
    return {"material__site": Site.objects.get(code=SiteCode.KANSAI), **kwargs}


# Every staff-facing service that touches a site's items, called by Tokyo's
# lending staff on an item of Kansai-kan.
FOREIGN_SITE_CALLS = {
    "loan_pack": lambda actor: loan_pack(loan_id=AcceptedLoanFactory(**_kansai()).pk, actor=actor),
    "shipment_dispatch": lambda actor: shipment_dispatch(
        loan_ids=[PackedLoanFactory(**_kansai()).pk],
        tracking_number=s10_number(99000001),
        shipped_on=dt.date(2026, 11, 19),
        actor=actor,
    ),
    "shipment_record_delivery": lambda actor: shipment_record_delivery(
        shipment_id=ShippedLoanFactory(**_kansai()).shipment_id,
        delivered_on=dt.date(2026, 3, 10),
        actor=actor,
    ),
    "receipt_letter_record": lambda actor: receipt_letter_record(
        shipment_id=(loan := ShippedLoanFactory(**_kansai())).shipment_id,
        channel="fax",
        letter_on=dt.date(2026, 3, 12),
        received_on=dt.date(2026, 3, 10),
        conditions={loan.pk: "Good"},
        actor=actor,
    ),
    "shipment_undelivered_record": lambda actor: shipment_undelivered_record(
        shipment_id=ShippedLoanFactory(**_kansai()).shipment_id,
        returned_on=dt.date(2026, 11, 19),
        note="Returned by the post.",
        actor=actor,
    ),
    "return_parcel_check_in": lambda actor: return_parcel_check_in(
        parcel_id=_kansai_parcel().pk,
        site=Site.objects.get(code=SiteCode.KANSAI),
        checked_in_on=dt.date(2026, 11, 19),
        conditions={},
        loan_slip_enclosed=True,
        to_borrowers_enclosed=True,
        note="",
        actor=actor,
    ),
    "loan_check_in": lambda actor: loan_check_in(
        loan_id=HeldLoanFactory(**_kansai()).pk,
        site=Site.objects.get(code=SiteCode.KANSAI),
        checked_in_on=dt.date(2026, 11, 19),
        condition=ItemCondition.GOOD,
        loan_slip_enclosed=True,
        to_borrowers_enclosed=True,
        note="",
        actor=actor,
    ),
    "damage_case_report": lambda actor: damage_case_report(
        loan_id=HeldLoanFactory(**_kansai()).pk,
        kind="damage",
        description="Torn.",
        reported_on=dt.date(2026, 11, 19),
        actor=actor,
    ),
    "damage_case_instruct": lambda actor: damage_case_instruct(
        case_id=_kansai_case().pk,
        instruction=Instruction.REPLACEMENT,
        amount=None,
        currency="",
        instructed_on=dt.date(2026, 11, 19),
        actor=actor,
    ),
    "damage_case_settle": lambda actor: damage_case_settle(
        case_id=_instructed_kansai_case().pk,
        settled_on=dt.date(2026, 11, 19),
        note="Replacement received.",
        actor=actor,
    ),
}


@pytest.mark.parametrize("name", sorted(FOREIGN_SITE_CALLS))
def test_services_refuse_staff_of_another_site(name: str) -> None:
    actor = make_staff("tokyo")
    audit = AuditEntry.objects.count()
    with pytest.raises(DomainError) as refused:
        FOREIGN_SITE_CALLS[name](actor)
    assert refused.value.code == "other_site", refused.value.message
    assert AuditEntry.objects.count() == audit
    assert not OutgoingMail.objects.exists()


@pytest.mark.parametrize("name", sorted(FOREIGN_SITE_CALLS))
@pytest.mark.parametrize("role", ["kansai", "supervisor"])
def test_services_let_the_site_and_supervisors_act(name: str, role: str) -> None:
    """The control group: the same calls pass the site check for Kansai-kan's
    own staff and for a supervisor (who works for every site)."""
    try:
        FOREIGN_SITE_CALLS[name](make_staff(role))
    except DomainError as exc:  # a later rule of the service may refuse; not the site
        assert exc.code != "other_site", exc.message


# --- what each role is shown -------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href and href.startswith("/admin/") and "/logout/" not in href:
            self.hrefs.append(href)


def _links(response: Any) -> list[str]:
    parser = _Links()
    parser.feed(response.content.decode())
    return parser.hrefs


def test_tokyo_staff_see_only_the_queues_they_can_open(client) -> None:
    client.force_login(make_staff("tokyo"))
    response = client.get(reverse("admin:index"))
    labels = [str(q.label) for q in response.context["work_queues"]]
    assert not any(label.startswith("Applications open") for label in labels)
    assert "Requests to decide" not in labels
    assert {q.site for q in response.context["work_queues"]} <= {"", "Tokyo Main Library"}
    for queue in response.context["work_queues"]:
        assert client.get(queue.url).status_code == 200, queue.url
    assert 'href="/"' not in response.content.decode()  # no "View site"


@pytest.mark.parametrize("role", ROLES)
def test_no_role_is_shown_a_link_it_cannot_use(client, admin_objects, role: str) -> None:
    """Every link on the index, on every list it shows and on the first page of
    each list answers the role with a page or a file, never a refusal."""
    client.force_login(make_staff(role))
    seen: set[str] = set()
    refused = []
    pages = [reverse("admin:index")]
    for depth in range(3):
        found = []
        for url in pages:
            if url in seen:
                continue
            seen.add(url)
            response = client.get(url)
            if response.status_code == 403:
                refused.append(url)
            if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
                # Lists: only their first row's links, to bound the walk.
                found += _links(response)[:60] if depth < 2 else []
        pages = [u for u in dict.fromkeys(found) if u not in seen]
    assert len(seen) >= (2 if role == "none" else 10)
    assert not refused, f"{role} is shown links it may not open: {refused}"


def test_list_actions_are_offered_only_to_those_who_may_run_them(client) -> None:
    client.force_login(make_staff("tokyo"))
    page = client.get(reverse("admin:loans_loanrequest_changelist")).content.decode()
    assert "accept_selected" not in page
    assert reverse("admin:loans_loanrequest_key_in") not in page
    client.force_login(make_staff("officer"))
    page = client.get(reverse("admin:loans_loanrequest_changelist")).content.decode()
    assert "accept_selected" in page
    assert reverse("admin:loans_loanrequest_key_in") in page


def test_view_site_does_not_loop_for_signed_in_staff(client) -> None:
    client.force_login(make_staff("supervisor"))
    assert 'href="/"' not in client.get(reverse("admin:index")).content.decode()
    response = client.get("/", follow=True)
    assert response.status_code == 200
    assert len(response.redirect_chain) <= 3
    assert response.redirect_chain[-1][0].startswith(reverse("portal:login"))


def test_a_signed_in_library_still_goes_from_the_login_to_its_dashboard(client) -> None:
    library = LibraryFactory()
    client.force_login(User.objects.create_user(library.user_id, library=library))
    response = client.get(reverse("portal:login"))
    assert response.status_code == 302
