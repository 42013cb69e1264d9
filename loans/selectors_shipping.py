"""Reads for the shipping screens of the portal and the admin."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from core.models import Site
from registration.models import Library

from .models import LoanRequest, LoanStatus, Shipment


def shipment_loans(*, shipment: Shipment) -> list[LoanRequest]:
    return list(
        LoanRequest.objects.filter(shipment=shipment)
        .select_related("material", "material__site")
        .order_by("pk")
    )


def library_shipments(*, library: Library) -> QuerySet[Shipment]:
    loans = LoanRequest.objects.select_related("material").order_by("pk")
    return (
        Shipment.objects.filter(library=library)
        .select_related("site")
        .prefetch_related(Prefetch("loans", queryset=loans))
    )


def library_shipment_get(*, library: Library, pk: int) -> Shipment | None:
    return Shipment.objects.filter(library=library, pk=pk).select_related("site", "library").first()


def pull_queue(*, site: Site | None) -> QuerySet[LoanRequest]:
    qs = LoanRequest.objects.filter(status=LoanStatus.ACCEPTED, packed_at__isnull=True)
    return qs.filter(material__site=site) if site else qs


def ship_queue(*, site: Site | None) -> QuerySet[LoanRequest]:
    qs = LoanRequest.objects.filter(status=LoanStatus.ACCEPTED, packed_at__isnull=False)
    return qs.filter(material__site=site) if site else qs
