"""Nothing a user did can be lost by deleting a related row."""

from django.apps import apps
from django.db import models

OUR_APPS = {"core", "registration", "loans", "returns"}

# Foreign keys that deliberately do not PROTECT, and why.
DELIBERATE: dict[str, str] = {
    # A second factor belongs to its account: deleting a staff account (or
    # its backup codes) deletes what verified its codes, and nothing else.
    "core.BackupCodeDevice.user": "a staff member's backup codes go with the account",
    "core.BackupCode.device": "a code's hash goes with its device",
}


def _foreign_keys():
    for model in apps.get_models():
        if model._meta.app_label not in OUR_APPS or model._meta.proxy:
            continue
        for field in model._meta.get_fields():
            if isinstance(field, models.ForeignKey) and not field.auto_created:
                yield f"{model._meta.label}.{field.name}", field


def test_every_foreign_key_protects_or_is_listed_with_a_reason():
    unprotected = {
        name: field.remote_field.on_delete.__name__
        for name, field in _foreign_keys()
        if field.remote_field.on_delete is not models.PROTECT
    }
    assert unprotected.keys() == DELIBERATE.keys(), unprotected


def test_the_foreign_keys_to_libraries_and_loans_are_all_listed():
    """The list a reviewer reads: every FK to a library, a request or a shipment."""
    targets = {"registration.Library", "loans.LoanRequest", "loans.Shipment"}
    found = sorted(
        name for name, field in _foreign_keys() if field.related_model._meta.label in targets
    )
    assert found, "expected foreign keys to libraries and loans"
    for name in found:
        assert (
            name in DELIBERATE
            or dict(_foreign_keys())[name].remote_field.on_delete is models.PROTECT
        )
