"""The NDL's vocabulary in ISO 18626 terms: one table each, used by the
services and printed in the README."""

from __future__ import annotations

# NDL reason code (catalogue.rules.Reason) -> the closest ISO 18626
# ``reasonUnfilled``. The NDL code and its explanation in English and
# Japanese always travel in ``note`` as well.
REASON_UNFILLED: dict[str, str] = {
    "japanese_acquired_before_1996": "PolicyProblem",
    "foreign_acquired_before_1948": "PolicyProblem",
    "digitized": "NotAvailableForILL",
    "serial": "NonCirculating",
    "deteriorated": "PoorCondition",
    "rare": "NonCirculating",
    "unsuitable": "NonCirculating",
    "non_book": "NotAvailableForILL",
    "collection": "NonCirculating",
    "market_available": "PolicyProblem",
    "amusement": "PolicyProblem",
    "staff_excluded": "NotAvailableForILL",
    "not_on_shelf": "NotOnShelf",
    "in_use": "NotOnShelf",
    "other": "NotAvailableForILL",
    # Not an NDL code: staff found no NDL material for the description.
    "not_held": "NotHeld",
}
DEFAULT_UNFILLED = "NotAvailableForILL"

# A request refused for now that may be sent again: the library's ten items
# are out (``cap``), or another library has the item (``unavailable``).
REASON_RETRY: dict[str, str] = {
    "cap": "NotCurrentAvailableForILL",
    "unavailable": "OnLoan",
}

# NDL photocopy reason code (copies.rules.Reason) -> the closest ISO 18626
# ``reasonUnfilled``; as for loans the NDL code and both explanations go in ``note``.
COPY_REASON_UNFILLED: dict[str, str] = {
    "no_declaration": "PolicyProblem",
    "one_copy": "PolicyProblem",
    "part_not_given": "PolicyProblem",
    "pages_invalid": "PolicyProblem",
    "pages_beyond_extent": "PolicyProblem",
    "more_than_half": "PolicyProblem",
    "latest_issue": "PolicyProblem",
    "unpaid_invoices": "PolicyProblem",
    "residential_map": "NotAvailableForILL",
    "electronic_resource": "NotAvailableForILL",
    "audio_visual": "NotAvailableForILL",
    "forbidden": "NotAvailableForILL",
    "digitized": "NotAvailableForILL",
    "not_on_shelf": "NotOnShelf",
    "in_use": "NotOnShelf",
    "other": "NotAvailableForILL",
}

# The conditions every NDL loan carries (reading room under supervision, no copying).
LOAN_CONDITIONS = ("WatchLibraryUseOnly", "NoReproduction")


def reason_unfilled(codes: list[str], table: dict[str, str] | None = None) -> str:
    """The ISO value for a refusal with ``codes``: the first code's, in the order given.

    ``table`` is the loan table (``REASON_UNFILLED``) unless given
    (``COPY_REASON_UNFILLED`` for a photocopy request).
    """
    table = REASON_UNFILLED if table is None else table
    for code in codes:
        if code in table:
            return table[code]
    return DEFAULT_UNFILLED
