"""The ten-item cap holds at every isolation level.

Migration 0004's trigger locks the library row (``SELECT ... FOR UPDATE``)
and then counts. Under READ COMMITTED the count runs on a fresh snapshot, so
the second of two concurrent inserts sees the first and is refused. Under
REPEATABLE READ the count runs on the transaction's snapshot, taken before
the first insert committed: both count nine and both commit, eleven
outstanding. A lock that was only *held* does not make PostgreSQL report a
conflict; a row that was *updated* does. So the trigger now updates the
library row (a no-op write of its own id) instead of only locking it: the
second transaction either waits and then counts the first one's insert
(READ COMMITTED) or fails with a serialization error (REPEATABLE READ,
SERIALIZABLE), which the request service turns into a clear message.
"""

from django.db import migrations

COUNTING = "('requested','accepted','shipped','received','overdue','return_shipped','lost')"


def function(lock: str) -> str:
    return f"""
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
    {lock}
    SELECT count(*) INTO outstanding FROM loans_loanrequest
     WHERE library_id = NEW.library_id AND status IN {COUNTING} AND id <> NEW.id;
    IF outstanding >= 10 THEN
        RAISE EXCEPTION 'loans_loanrequest_ten_item_cap: library % already has % items', NEW.library_id, outstanding
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


# A write, not only a lock: a concurrent transaction that took its snapshot
# before this one committed cannot lock the row afterwards without a
# serialization error.
WRITE_LOCK = "UPDATE registration_library SET id = id WHERE id = NEW.library_id;"
READ_LOCK = "PERFORM 1 FROM registration_library WHERE id = NEW.library_id FOR UPDATE;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(function(WRITE_LOCK), params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(function(READ_LOCK), params=None)


class Migration(migrations.Migration):
    dependencies = [("loans", "0005_perf_indexes")]
    operations = [migrations.RunPython(forwards, backwards)]
