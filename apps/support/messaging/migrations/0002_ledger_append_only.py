"""On PostgreSQL, the credit ledger refuses UPDATE and DELETE in the database itself, so no
code path (raw SQL, a shell, a future bug) can rewrite history. Elsewhere the model's
manager and save()/delete() refuse them."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION messaging_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'messaging_credittransaction is append-only: add a transaction instead';
END;
$$ LANGUAGE plpgsql;
"""
TRIGGER = """
CREATE TRIGGER messaging_ledger_append_only
BEFORE UPDATE OR DELETE ON messaging_credittransaction
FOR EACH ROW EXECUTE FUNCTION messaging_ledger_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS messaging_ledger_append_only ON messaging_credittransaction;
DROP FUNCTION IF EXISTS messaging_ledger_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)
        schema_editor.execute(TRIGGER)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("messaging", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
