import pytest
from django.contrib.auth.models import Group

from core.models import User
from core.roles import LENDING_STAFF, REGISTRATION_OFFICER, SUPERVISOR, roles_sync

pytestmark = pytest.mark.django_db


def user_in(group_name, site=None):
    user = User.objects.create_user(f"u-{group_name[:5]}", is_staff=True, site=site)
    user.groups.add(Group.objects.get(name=group_name))
    return User.objects.get(pk=user.pk)  # fresh permission cache


def test_migrate_creates_the_three_groups():
    names = set(Group.objects.values_list("name", flat=True))
    assert {REGISTRATION_OFFICER, LENDING_STAFF, SUPERVISOR} <= names


def test_syncing_again_changes_nothing():
    before = {g.name: set(g.permissions.values_list("pk", flat=True)) for g in Group.objects.all()}
    roles_sync()
    roles_sync()
    after = {g.name: set(g.permissions.values_list("pk", flat=True)) for g in Group.objects.all()}
    assert before == after
    assert Group.objects.filter(name=SUPERVISOR).count() == 1


def test_sync_restores_a_removed_permission():
    group = Group.objects.get(name=REGISTRATION_OFFICER)
    group.permissions.clear()
    roles_sync()
    assert group.permissions.filter(codename="change_application").exists()


def test_a_registration_officer_registers_decides_and_keeps_the_catalogue():
    user = user_in(REGISTRATION_OFFICER)
    assert user.has_perm("registration.add_application")
    assert user.has_perm("registration.change_library")
    assert user.has_perm("registration.view_applicationdocument")
    assert user.has_perm("loans.change_loanrequest")
    assert user.has_perm("catalogue.change_material")
    assert not user.has_perm("core.view_auditentry")
    assert not user.has_perm("returns.add_checkin")
    assert not user.has_perm("registration.delete_library")


def test_lending_staff_ship_and_check_in_but_do_not_register(kansai):
    user = user_in(LENDING_STAFF, site=kansai)
    assert user.site == kansai
    assert user.has_perm("loans.add_shipment")
    assert user.has_perm("loans.change_shipqueueitem")
    assert user.has_perm("returns.add_checkin")
    assert user.has_perm("registration.view_library")
    assert not user.has_perm("registration.change_library")
    assert not user.has_perm("registration.view_applicationdocument")
    assert not user.has_perm("loans.change_loanrequest")


def test_a_supervisor_may_do_everything_and_read_the_audit_log():
    user = user_in(SUPERVISOR)
    assert user.has_perm("core.view_auditentry")
    assert not user.has_perm("core.change_auditentry")
    for perm in (
        "registration.change_application",
        "loans.change_loanrequest",
        "returns.change_damagecase",
    ):
        assert user.has_perm(perm)
