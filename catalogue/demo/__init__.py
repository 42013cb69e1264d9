"""The demo catalogue for `make run`: 300 NDL-style records loaded through the importer.

``demo-records.xml`` (written by ``generate.py``) holds invented DC-NDL
records as NDL Search serves them; ``seed_demo_catalogue`` imports them with
``material_records_import``, exactly as a real file is imported, then sets
what records never carry and staff keep: the holding site, the acquisition
date and the staff's judgements. The first records are the demo's story:
every loanability rule at least once and both acquisition-date boundaries;
a few records wait in the review queue. Free-text notes are written in
English and Japanese, as staff who serve libraries in both languages would
write them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.db import transaction

from core.models import Site

DEMO_FILE = Path(__file__).with_name("demo-records.xml")
D = dt.date

# ndl_id: (acquired_on, site, staff's judgements); site None: not yet processed.
STORY: dict[str, tuple[dt.date | None, str | None, dict[str, Any]]] = {
    # Loanable, including both acquisition boundaries.
    "D00000001": (D(1996, 1, 1), "tokyo", {}),
    "D00000002": (D(2004, 6, 1), "tokyo", {}),
    "D00000003": (D(1948, 1, 1), "tokyo", {}),
    "D00000004": (D(2010, 3, 15), "tokyo", {}),
    "D00000005": (D(1972, 9, 1), "tokyo", {}),
    "D00000006": (D(2012, 4, 1), "kansai", {}),
    "D00000007": (D(1990, 2, 2), "kansai", {}),
    "D00000008": (D(1999, 11, 30), "kansai", {}),
    "D00000009": (D(2020, 1, 20), "kansai", {}),
    "D00000010": (D(1955, 5, 5), "kansai", {}),
    "D00000011": (D(2002, 8, 8), "ilcl", {}),
    "D00000012": (D(2005, 7, 7), "ilcl", {}),
    "D00000013": (D(2015, 10, 10), "ilcl", {}),
    "D00000014": (D(2018, 12, 1), "ilcl", {}),
    # The day before each boundary.
    "D00000015": (D(1995, 12, 31), "tokyo", {}),
    "D00000016": (D(1947, 12, 31), "tokyo", {}),
    # One material per reason; the record itself says digitized, serial,
    # rare (a classical book) and non-book (a thesis, a map, a score, a microform).
    "D00000017": (D(2001, 1, 1), "tokyo", {}),
    "D00000018": (D(2001, 1, 1), "kansai", {}),
    "D00000019": (D(2003, 1, 1), "kansai", {}),
    "D00000020": (D(1998, 1, 1), "tokyo", {"is_deteriorated": True}),
    "D00000021": (D(2000, 1, 1), "tokyo", {}),
    "D00000022": (D(2006, 1, 1), "tokyo", {"unsuitable": "large_sized"}),
    "D00000023": (D(2007, 1, 1), "kansai", {"unsuitable": "reference"}),
    "D00000024": (D(2008, 1, 1), "ilcl", {"unsuitable": "pamphlet"}),
    "D00000025": (D(2009, 1, 1), "kansai", {}),
    "D00000026": (D(2010, 1, 1), "kansai", {}),
    "D00000027": (D(1980, 1, 1), "tokyo", {}),
    "D00000028": (D(1999, 1, 1), "tokyo", {}),
    "D00000029": (D(2011, 1, 1), "tokyo", {"is_collection": True}),
    "D00000030": (D(2019, 1, 1), "kansai", {"market_available": True}),
    "D00000031": (D(2016, 1, 1), "ilcl", {"is_amusement": True}),
    "D00000032": (
        D(2013, 1, 1),
        "tokyo",
        {
            "staff_excluded": True,
            "staff_note": "On exhibition until the end of the year. / 年末まで展示中です。",
        },
    ),
    # Several reasons at once: rare, a single-sheet map, digitized, old.
    "D00000033": (D(1960, 1, 1), "tokyo", {"is_rare": True}),
    # The record's language is undetermined: in the review queue.
    "D00000034": (D(2012, 1, 1), "tokyo", {}),
}
SITES = ("tokyo", "kansai", "ilcl")
# Every this many of the other records is newly imported: no site or
# acquisition date yet, so the loan rules wait for staff.
UNPROCESSED_EVERY = 40
# The staff's judgements and their values when staff have judged nothing.
_JUDGEMENTS: dict[str, Any] = {
    "is_deteriorated": False,
    "is_rare": False,
    "unsuitable": "",
    "is_collection": False,
    "market_available": False,
    "is_amusement": False,
    "staff_excluded": False,
    "staff_note": "",
}


def _staff_facts(number: int, year: int | None) -> tuple[dt.date | None, str | None]:
    """Site and acquisition date of a record after the story: a year after it
    was issued (never in the future), sites in turn."""
    if number % UNPROCESSED_EVERY == 0:
        return None, None
    issued = year or 2000
    acquired = D(min(issued + 1, 2026), number % 12 + 1, number % 28 + 1)
    return min(acquired, D(2026, 10, 1)), SITES[number % len(SITES)]


def seed_demo_catalogue() -> int:
    """Import the demo records and set the staff's facts; return how many there are.

    Safe to run again: a re-import updates the records and the staff's facts
    are set to the same values. Raises ``RuntimeError`` if a record of the
    committed file is refused (the file and the importer disagree).
    """
    from catalogue.formats import dcndl
    from catalogue.models import Material
    from catalogue.services.records_import import material_records_import

    with DEMO_FILE.open("rb") as source:
        result = material_records_import(
            entries=dcndl.read(source), actor=None, source=DEMO_FILE.name
        )
    if result.errors:
        raise RuntimeError("; ".join(str(e) for e in result.errors))
    sites = {s.code: s for s in Site.objects.all()}
    materials = list(Material.objects.filter(ndl_id__startswith="D").order_by("ndl_id"))
    for material in materials:
        number = int(material.ndl_id[1:])
        if material.ndl_id in STORY:
            acquired_on, site, judgements = STORY[material.ndl_id]
        else:
            (acquired_on, site), judgements = _staff_facts(number, material.year), {}
        material.acquired_on = acquired_on
        material.site = sites[site] if site else None
        for name, nothing in _JUDGEMENTS.items():
            setattr(material, name, judgements.get(name, nothing))
    with transaction.atomic():
        Material.objects.bulk_update(
            materials, ["acquired_on", "site", *_JUDGEMENTS], batch_size=500
        )
    return result.created + result.updated
