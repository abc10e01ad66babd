-- report.schema_history: which SQL files this database has had applied, for psql users who
-- want to know which version of Postgate's schema they are reading.
SET LOCAL ROLE postgate_owner;

CREATE OR REPLACE VIEW report.schema_history AS
SELECT h.version,
       h.script,
       h.kind,
       h.applied_at,
       h.applied_by,
       h.duration_ms
FROM migrations.history h
ORDER BY h.id;

COMMENT ON VIEW report.schema_history IS 'Every SQL file applied to this database, oldest first: versioned migrations once, routines at each change.';
