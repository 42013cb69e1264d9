"""The access matrix, generated from the URL configuration.

Portal: every URL that takes an argument (an object id, a User ID, a document
kind…) is requested by library A with library B's arguments and must answer
404 without writing anything. A portal URL with arguments that is missing from
``REGISTRY`` fails the suite, so a new one cannot slip through unreviewed.

Admin: every URL of the admin site, including each ModelAdmin's custom pages,
refuses a library's portal login and anonymous visitors.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.tokens import default_token_generator
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from catalogue.tests.factories import MaterialFactory
from conversations.models import Message, Side, Thread
from core.models import User
from core.tests.factories import StaffFactory
from loans.tests.factories import LoanRequestFactory
from registration.models import Library
from registration.tests.factories import (
    ApplicationFactory,
    ChangeNoticeFactory,
    CorrespondenceFactory,
    LibraryFactory,
)
from returns.models import ReturnParcel
from returns.tests.factories import DamageCaseFactory, HeldLoanFactory, ShippedLoanFactory

pytestmark = pytest.mark.django_db

OUR_APPS = ("core", "registration", "loans", "returns", "conversations", "copies")
PORTAL_PREFIX = "portal/"
ADMIN_PREFIX = "/admin/"


@pytest.fixture(autouse=True)
def _clock(time_machine) -> None:
    time_machine.move_to("2026-03-20 10:00 +0900", tick=False)


# --- walking the URL configuration --------------------------------------------------


@dataclass(frozen=True)
class Route:
    route: str  # the full route, e.g. "portal/loans/requests/<int:pk>/"
    name: str | None  # namespaced, e.g. "loans:request_detail"
    params: tuple[str, ...]  # the names of all arguments, outer resolvers included
    pattern: URLPattern = field(compare=False, hash=False)


def _params(pattern: Any) -> list[str]:
    converters = getattr(pattern, "converters", None)
    if converters:
        return list(converters)
    regex = getattr(pattern, "regex", None)
    return list(regex.groupindex) if regex is not None else []


def walk(
    patterns: list[URLPattern | URLResolver],
    prefix: str = "",
    namespace: str = "",
    params: tuple[str, ...] = (),
) -> Iterator[Route]:
    for entry in patterns:
        here = prefix + str(entry.pattern)
        found = (*params, *_params(entry.pattern))
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from walk(entry.url_patterns, here, ns, found)
        else:
            name = entry.name and (f"{namespace}:{entry.name}" if namespace else entry.name)
            yield Route(here.lstrip("^"), name, found, entry)


def portal_routes() -> list[Route]:
    return [r for r in walk(get_resolver().url_patterns) if r.route.startswith(PORTAL_PREFIX)]


def admin_routes() -> list[Route]:
    return list(walk(admin.site.get_urls()))


# --- snapshots -----------------------------------------------------------------------


def our_models() -> list[type[models.Model]]:
    return [
        m
        for label in OUR_APPS
        for m in apps.get_app_config(label).get_models()
        if not m._meta.proxy
    ]


def row_counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in our_models()}


def rows(objects: list[models.Model]) -> dict[tuple[str, Any], dict[str, Any]]:
    """Every column of B's objects (status, updated_at, …) as stored now."""
    snapshot = {}
    for obj in objects:
        model = obj._meta.concrete_model
        snapshot[(model._meta.label, obj.pk)] = model._default_manager.filter(pk=obj.pk).values()[0]
    return snapshot


# --- the portal registry -------------------------------------------------------------


@dataclass
class Target:
    kwargs: dict[str, Any]
    objects: list[models.Model]  # B's objects whose rows must not change
    post: dict[str, Any] | None = None  # None: the view does not change state


Builder = Callable[[Library], Target]


def _request_detail(b: Library) -> Target:
    loan = LoanRequestFactory(library=b)
    return Target({"pk": loan.pk}, [loan])


def _request_cancel(b: Library) -> Target:
    loan = LoanRequestFactory(library=b)  # cancellable: only its owner may
    return Target({"pk": loan.pk}, [loan], post={})


def _shipment_confirm(b: Library) -> Target:
    loan = ShippedLoanFactory(library=b)
    shipment = loan.shipment
    post = {"received_on": "2026-03-18", f"condition_{loan.pk}": "Good"}
    return Target({"pk": shipment.pk}, [shipment, loan], post=post)


def _shipment_pdf(b: Library) -> Target:
    loan = ShippedLoanFactory(library=b)
    return Target({"pk": loan.shipment_id, "kind": "loan-slip"}, [loan.shipment, loan])


def _conversation(b: Library) -> Target:
    loan = LoanRequestFactory(library=b)
    return Target({"pk": loan.pk}, [loan], post={"body": "Is this mine?"})


def _document(b: Library) -> Target:
    return Target({"user_id": b.user_id, "kind": "certificate"}, [b])


def _return_label(b: Library) -> Target:
    loan = HeldLoanFactory(library=b)
    return Target({"shipment_pk": loan.shipment_id}, [loan.shipment])


def _case_report(b: Library) -> Target:
    loan = HeldLoanFactory(library=b)
    post = {"kind": "damage", "description": "Torn cover.", "reported_on": "2026-03-18"}
    return Target({"loan_pk": loan.pk}, [loan], post=post)


def _copy_detail(b: Library) -> Target:
    from copies.tests.factories import CopyRequestFactory

    copy = CopyRequestFactory(library=b)
    return Target({"pk": copy.pk}, [copy])


def _copy_cancel(b: Library) -> Target:
    from copies.tests.factories import CopyRequestFactory

    copy = CopyRequestFactory(library=b)  # cancellable: only its owner may
    return Target({"pk": copy.pk}, [copy], post={})


def _copy_invoice(b: Library) -> Target:
    from copies.tests.factories import InvoiceFactory

    invoice = InvoiceFactory(copy_request__library=b)
    return Target({"pk": invoice.pk}, [invoice, invoice.copy_request])


REGISTRY: dict[str, Builder] = {
    "copies:request_detail": _copy_detail,
    "copies:request_cancel": _copy_cancel,
    "copies:invoice_pdf": _copy_invoice,
    "loans:request_detail": _request_detail,
    "loans:request_cancel": _request_cancel,
    "loans:shipment_confirm": _shipment_confirm,
    "loans:shipment_pdf": _shipment_pdf,
    "conversations:request": _conversation,
    "registration:document": _document,
    "returns:label": _return_label,
    "returns:case_report": _case_report,
}

# POST-only portal URLs: a GET answers 405 to everyone and shows nothing.
POST_ONLY = {"loans:request_cancel", "copies:request_cancel"}

# Portal URLs with arguments that are not a library's objects.
PUBLIC_WITH_ARGUMENTS = {
    # The emailed "set your password" link: the signed token is the credential,
    # so it answers everyone; it is tested below to reveal nothing without it.
    "portal:password_set",
}


def _library_client(client: Any, library: Library) -> Any:
    client.force_login(User.objects.create_user(library.user_id, library=library))
    return client


def test_every_portal_url_with_arguments_is_in_the_registry() -> None:
    with_args = {r.name for r in portal_routes() if r.params}
    assert None not in with_args, "name every portal URL so the matrix can list it"
    missing = with_args - set(REGISTRY) - PUBLIC_WITH_ARGUMENTS
    assert not missing, f"add these portal URLs to the access matrix: {sorted(missing)}"


def test_the_registry_names_only_urls_that_exist() -> None:
    names = {r.name for r in portal_routes() if r.params}
    stale = (set(REGISTRY) | PUBLIC_WITH_ARGUMENTS) - names
    assert not stale, f"these URLs no longer exist: {sorted(stale)}"


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_library_a_gets_404_for_library_b_objects(client, name: str) -> None:
    a, b = LibraryFactory(), LibraryFactory()
    HeldLoanFactory(library=a)  # A has objects of its own too
    target = REGISTRY[name](b)
    url = reverse(name, kwargs=target.kwargs)
    _library_client(client, a)
    counts, before = row_counts(), rows(target.objects)

    methods = ["post"] if target.post is not None else ["get"]
    if target.post is not None and name not in POST_ONLY:
        methods.insert(0, "get")  # the form page itself
    for method in methods:
        data = target.post if method == "post" else None
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, (method, url, response.status_code)
        assert b.user_id not in response.content.decode(errors="replace")

    assert row_counts() == counts
    assert rows(target.objects) == before


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_the_owner_reaches_the_same_url(client, name: str) -> None:
    """The control group: B's own login is not refused, so a 404 above means
    "not yours" and not "broken"."""
    b = LibraryFactory()
    target = REGISTRY[name](b)
    _library_client(client, b)
    url = reverse(name, kwargs=target.kwargs)
    if target.post is not None and name in POST_ONLY:
        response = client.post(url, target.post)
    else:
        response = client.get(url)
    assert response.status_code in (200, 302), (url, response.status_code)


def test_the_password_link_reveals_nothing_without_its_token(client) -> None:
    a, b = LibraryFactory(), LibraryFactory()
    b_user = User.objects.create_user(b.user_id, library=b, password="B's own secret 2026")
    _library_client(client, a)
    uid = urlsafe_base64_encode(force_bytes(b_user.pk))
    counts, before = row_counts(), rows([b, b_user])
    url = reverse("portal:password_set", kwargs={"uidb64": uid, "token": "1-forged"})
    for method in ("get", "post"):
        data = {"new_password1": "x" * 20, "new_password2": "x" * 20}
        response = getattr(client, method)(url, data if method == "post" else None)
        assert response.status_code == 200
        assert response.context["validlink"] is False
        assert b.user_id not in response.content.decode()
    assert row_counts() == counts
    assert rows([b, b_user]) == before
    assert default_token_generator.check_token(b_user, "1-forged") is False


# --- portal URLs without arguments ---------------------------------------------------

# Pages every visitor may open: the sign-in, sign-out and password-set pages.
PUBLIC_PORTAL = {"portal:login", "portal:logout", "portal:password_set_done"}


def _no_arg_portal_names() -> list[str]:
    names = {r.name for r in portal_routes() if not r.params}
    assert None not in names
    return sorted(n for n in names if n not in PUBLIC_PORTAL)  # type: ignore[misc]


def _assert_sent_to_login(client: Any, url: str) -> None:
    login = reverse("portal:login")
    get, post = client.get(url), client.post(url, {})
    # POST-only views answer 405 to a GET whoever asks; that shows nothing.
    assert get.status_code in (302, 405), (url, get.status_code)
    if get.status_code == 302:
        assert get["Location"].startswith(login), (url, get["Location"])
    assert post.status_code == 302, (url, post.status_code)
    assert post["Location"].startswith(login), (url, post["Location"])


@pytest.mark.parametrize("name", _no_arg_portal_names())
def test_anonymous_visitors_are_sent_to_the_login(client, name: str) -> None:
    counts = row_counts()
    _assert_sent_to_login(client, reverse(name))
    assert row_counts() == counts


@pytest.mark.parametrize("name", _no_arg_portal_names())
def test_staff_without_a_library_are_sent_to_the_login(client, name: str) -> None:
    client.force_login(StaffFactory(is_superuser=False))
    counts = row_counts()
    _assert_sent_to_login(client, reverse(name))
    assert row_counts() == counts


@pytest.mark.parametrize("name", sorted(PUBLIC_PORTAL))
def test_public_portal_pages_never_fail(client, name: str) -> None:
    for method in ("get", "post"):
        assert getattr(client, method)(reverse(name)).status_code < 500


# --- the admin -----------------------------------------------------------------------

# Admin views that are public by design: the sign-in and sign-out pages, and
# Django's "view on site" shortcut, which only redirects to an object's public
# URL (404 for our models, which have none).
PUBLIC_ADMIN = {"admin:login", "admin:logout", "admin:view_on_site"}
# The admin's last pattern: any other path under /admin/.
CATCH_ALL = "(?P<url>.*)$"

SLUG_VALUES = {"kind": "loan-slip", "action": "suspend", "app_label": "loans"}


@pytest.fixture
def admin_objects(db: None) -> None:
    """One object of every model, so the pk-taking admin pages find something."""
    case = DamageCaseFactory()
    HeldLoanFactory()
    ShippedLoanFactory()
    MaterialFactory()
    application = ApplicationFactory()
    CorrespondenceFactory(application=application)
    ChangeNoticeFactory(library=case.loan.library)
    thread = Thread.objects.create(library=case.loan.library, loan_request=case.loan)
    Message.objects.create(thread=thread, sender=Side.LIBRARY, body="A question.")
    ReturnParcel.objects.create(
        library=case.loan.library,
        site=case.loan.shipment.site,
        method="registered_air_mail",
        tracking_number="RR000000000JP",
        sent_on=dt.date(2026, 3, 18),
    )
    StaffFactory()
    _iso18626_objects(case.loan)
    _copies_objects()


def _copies_objects() -> None:
    from copies.models import CopyPolicy, Payment
    from copies.tests.factories import AcceptedCopyFactory, InvoiceFactory, fee_table

    fee_table()
    AcceptedCopyFactory()
    invoice = InvoiceFactory()
    Payment.objects.create(
        invoice=invoice, amount=100, received_on=dt.date(2026, 3, 18), method="bank_transfer"
    )
    CopyPolicy.objects.create(material=MaterialFactory(), residential_map=True)


def _iso18626_objects(loan: Any) -> None:
    from iso18626.models import IsoMessage, IsoTransaction, PeerAgency

    peer = PeerAgency.objects.create(
        library=loan.library, isil="US-MATRIX", endpoint_url="https://ill.example.org/iso"
    )
    tx = IsoTransaction.objects.create(
        peer=peer, requesting_request_id="matrix-1", state="identify", version="1.2"
    )
    IsoMessage.objects.create(
        transaction=tx, direction="out", kind="supplyingAgencyMessage", body="<x/>"
    )


def _model_for(route: Route) -> type[models.Model] | None:
    for model in admin.site._registry:
        if route.route.startswith(f"{model._meta.app_label}/{model._meta.model_name}/"):
            return model
    return None


def _admin_url(route: Route) -> str:
    if route.route == CATCH_ALL:
        return ADMIN_PREFIX + "no-such-page/"
    model = _model_for(route)
    first = model._default_manager.order_by("pk").first() if model else None
    converters = getattr(route.pattern.pattern, "converters", {})
    kwargs: dict[str, Any] = {}
    for param in route.params:
        if param in SLUG_VALUES:
            kwargs[param] = SLUG_VALUES[param]
        elif param in ("pk", "object_id", "id"):
            kwargs[param] = first.pk if first is not None else 1
        elif isinstance(converters.get(param), IntConverter):
            kwargs[param] = 1
        else:
            kwargs[param] = "1"
    if route.name is None:
        # e.g. the ModelAdmin's redirect from <object_id>/ to <object_id>/change/
        assert "(?P" not in route.route, f"unnamed admin regex URL {route.route!r}"
        return ADMIN_PREFIX + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m[1]]), route.route)
    return reverse(f"admin:{route.name}", kwargs=kwargs)


def _admin_targets() -> list[Route]:
    return [r for r in admin_routes() if f"admin:{r.name}" not in PUBLIC_ADMIN]


def test_the_admin_walk_finds_the_custom_pages() -> None:
    names = {r.name for r in admin_routes()}
    for custom in (
        "statistics",
        "loans_loanrequest_key_in",
        "loans_loanrequest_decide",
        "loans_shipment_receipt_letter",
        "registration_application_approve",
        "registration_library_status",
        "returns_damagecase_settle",
    ):
        assert custom in names
    assert len(names) > 50


def _refusal_problem(response: Any, *, anonymous: bool) -> str | None:
    status = response.status_code
    to_login = status == 302 and response["Location"].startswith(reverse("admin:login"))
    if anonymous:
        return None if to_login else f"{status} {response.get('Location', '')}"
    if status in (403, 404, 405) or to_login:
        return None
    return f"{status} {response.get('Location', '')}"


def test_every_admin_url_refuses_library_logins_and_anonymous_visitors(
    client, admin_objects
) -> None:
    """One test walks them all (one set-up, not one per URL) and lists every
    URL that answers wrongly."""
    library = LibraryFactory()
    library_user = User.objects.create_user(library.user_id, library=library)
    targets = [(route, _admin_url(route)) for route in _admin_targets()]
    assert len(targets) > 100
    counts = row_counts()
    problems = []
    for anonymous in (True, False):
        if not anonymous:
            client.force_login(library_user)
        for route, url in targets:
            for method in ("get", "post"):
                response = getattr(client, method)(url, {})
                problem = _refusal_problem(response, anonymous=anonymous)
                if problem:
                    who = "anonymous" if anonymous else "library"
                    problems.append(f"{who} {method.upper()} {url} ({route.name}): {problem}")
    assert not problems, "\n".join(problems)
    assert row_counts() == counts


def test_public_admin_views_never_fail_and_grant_nothing(client, admin_objects) -> None:
    library = LibraryFactory()
    _library_client(client, library)
    assert client.get(reverse("admin:login")).status_code == 200  # the form, not the index
    response = client.get(reverse("admin:view_on_site", args=[1, 1]))
    assert response.status_code in (302, 404)
    assert client.post(reverse("admin:logout")).status_code < 500
