"""The database itself refuses to change or remove audit rows.

UPDATE and DELETE (and TRUNCATE on PostgreSQL) on the audit tables raise an
error, unless a row of audit_auditpurgepermit says enabled: that exists only
so that the test suite can reset its database between tests. The README's
deployment section shows how to deny the app's database role these
statements (and any write to the permit table) as well.
"""

from __future__ import annotations

from django.db import migrations

TABLES = ("audit_auditentry", "audit_auditseal")

POSTGRESQL_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM audit_auditpurgepermit WHERE enabled) THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        IF TG_OP = 'UPDATE' THEN RETURN NEW; END IF;
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'The audit trail is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = []
    if vendor == "postgresql":
        statements.append(POSTGRESQL_FUNCTION)
        for table in TABLES:
            statements += [
                f"CREATE TRIGGER {table}_no_update_or_delete BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()",
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()",
            ]
    elif vendor == "sqlite":
        for table in TABLES:
            for operation in ("UPDATE", "DELETE"):
                statements.append(
                    f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                    "WHEN NOT EXISTS (SELECT 1 FROM audit_auditpurgepermit WHERE enabled) "
                    f"BEGIN SELECT RAISE(ABORT, 'The audit trail is append-only: {operation} on {table} "
                    "is refused'); END"
                )
    else:
        raise NotImplementedError(f"Adhere's audit triggers support PostgreSQL and SQLite, not {vendor}.")
    for statement in statements:
        schema_editor.execute(statement, params=None)  # no placeholders: the SQL has "%" of its own


def remove(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update_or_delete ON {table}")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        else:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS audit_refuse_change()")


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_trail")]

    operations = [migrations.RunPython(install, remove)]
