"""The ten-item cap, enforced by PostgreSQL itself.

The request service already counts under a lock on the library row; this
trigger makes the same rule hold for any writer, even raw SQL. It takes the
same library row lock, so it serialises with the service and with itself.
"""

from django.db import migrations

COUNTING = "('requested','accepted','shipped','received','overdue','return_shipped','lost')"

CREATE = f"""
CREATE OR REPLACE FUNCTION loans_loanrequest_ten_item_cap() RETURNS trigger AS $$
DECLARE
    outstanding integer;
BEGIN
    IF NEW.status NOT IN {COUNTING} THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.status IN {COUNTING} AND OLD.library_id = NEW.library_id THEN
        RETURN NEW;  -- already counted
    END IF;
    PERFORM 1 FROM registration_library WHERE id = NEW.library_id FOR UPDATE;
    SELECT count(*) INTO outstanding FROM loans_loanrequest
     WHERE library_id = NEW.library_id AND status IN {COUNTING} AND id <> NEW.id;
    IF outstanding >= 10 THEN
        RAISE EXCEPTION 'loans_loanrequest_ten_item_cap: library % already has % items', NEW.library_id, outstanding
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER loans_loanrequest_ten_item_cap
    BEFORE INSERT OR UPDATE OF status, library_id ON loans_loanrequest
    FOR EACH ROW EXECUTE FUNCTION loans_loanrequest_ten_item_cap();
"""

DROP = """
DROP TRIGGER IF EXISTS loans_loanrequest_ten_item_cap ON loans_loanrequest;
DROP FUNCTION IF EXISTS loans_loanrequest_ten_item_cap();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("loans", "0003_shipping_tracking_constraints")]
    operations = [migrations.RunPython(create, drop)]
