"""Make the audit table append-only at the database level (RELIABILITY S12).

PostgreSQL: a trigger refuses UPDATE/DELETE unless the transaction set
``neiqin.audit_maintenance = 'on'`` (``SET LOCAL``, see core.audit.maintenance). TRUNCATE
(used by test flushes) fires no row trigger.
SQLite: triggers refuse UPDATE/DELETE while the single AuditGuard row exists.
"""

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION core_event_append_only() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('neiqin.audit_maintenance', true), '') <> 'on' THEN
        RAISE EXCEPTION 'audit events are append-only';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER core_event_no_update BEFORE UPDATE ON core_event
    FOR EACH ROW EXECUTE FUNCTION core_event_append_only();
CREATE TRIGGER core_event_no_delete BEFORE DELETE ON core_event
    FOR EACH ROW EXECUTE FUNCTION core_event_append_only();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS core_event_no_update ON core_event;
DROP TRIGGER IF EXISTS core_event_no_delete ON core_event;
DROP FUNCTION IF EXISTS core_event_append_only();
"""
SQLITE_FORWARD = [
    """CREATE TRIGGER core_event_no_update BEFORE UPDATE ON core_event
       WHEN EXISTS (SELECT 1 FROM core_auditguard)
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
    """CREATE TRIGGER core_event_no_delete BEFORE DELETE ON core_event
       WHEN EXISTS (SELECT 1 FROM core_auditguard)
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
    "INSERT INTO core_auditguard (armed) VALUES (1);",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS core_event_no_update;",
    "DROP TRIGGER IF EXISTS core_event_no_delete;",
    "DELETE FROM core_auditguard;",
]


def forward(apps, schema_editor):
    conn = schema_editor.connection
    if conn.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)
    elif conn.vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    conn = schema_editor.connection
    statements = [PG_BACKWARD] if conn.vendor == "postgresql" else SQLITE_BACKWARD
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
