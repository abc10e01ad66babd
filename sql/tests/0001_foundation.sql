-- The foundation: schemas, group roles, ownership, and what each role may do.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(29);

-- Schemas and roles exist.
SELECT has_schema('ar', 'schema ar holds the tables');
SELECT has_schema('api', 'schema api holds the client functions');
SELECT has_schema('report', 'schema report holds the reporting views');
SELECT has_role('postgate_owner');
SELECT has_role('postgate_service');
SELECT has_role('postgate_client');
SELECT has_role('postgate_reporting');
SELECT ok(NOT rolcanlogin, format('group %s cannot log in', rolname))
FROM pg_roles WHERE rolname = 'postgate_reporting';

-- Ownership never depends on who ran the migration.
SELECT schema_owner_is('ar', 'postgate_owner');
SELECT schema_owner_is('api', 'postgate_owner');
SELECT schema_owner_is('report', 'postgate_owner');
SELECT is_empty($$
    SELECT n.nspname || '.' || c.relname
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname IN ('ar', 'api', 'report') AND pg_get_userbyid(c.relowner) <> 'postgate_owner'
    UNION ALL
    SELECT n.nspname || '.' || p.proname
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname IN ('ar', 'api', 'report') AND pg_get_userbyid(p.proowner) <> 'postgate_owner'
$$, 'every table, view and function in ar, api and report is owned by postgate_owner');

-- PUBLIC has no rights on Postgate's schemas.
SELECT schema_privs_are('ar', 'public', ARRAY[]::text[], 'PUBLIC cannot use ar');
SELECT schema_privs_are('api', 'public', ARRAY[]::text[], 'PUBLIC cannot use api');
SELECT schema_privs_are('report', 'public', ARRAY[]::text[], 'PUBLIC cannot use report');

-- Who may use what.
SELECT schema_privs_are('ar', 'postgate_service', ARRAY[]::text[], 'the service reaches the tables only through api');
SELECT schema_privs_are('ar', 'postgate_client', ARRAY[]::text[], 'clients never touch the tables');
SELECT schema_privs_are('ar', 'postgate_reporting', ARRAY[]::text[], 'reporting never touches the tables');
SELECT schema_privs_are('api', 'postgate_client', ARRAY['USAGE'], 'clients may call api functions they are granted');
SELECT schema_privs_are('report', 'postgate_reporting', ARRAY['USAGE'], 'reporting may read report');
SELECT schema_privs_are('api', 'postgate_reporting', ARRAY[]::text[], 'reporting cannot call api functions');

-- Reporting can write nowhere: no table privilege other than SELECT, no CREATE on any schema,
-- no CREATE or TEMPORARY on the database.
SELECT is_empty($$
    SELECT n.nspname || '.' || c.relname || ' ' || p.privilege
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    CROSS JOIN unnest(ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) AS p(privilege)
    WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND c.relpersistence <> 't'  -- pgTAP's own temporary tables
      AND has_table_privilege('postgate_reporting', c.oid, p.privilege)
$$, 'postgate_reporting can insert, update, delete or truncate nothing');
SELECT is_empty($$
    SELECT nspname FROM pg_namespace WHERE has_schema_privilege('postgate_reporting', oid, 'CREATE')
$$, 'postgate_reporting can create objects in no schema');
SELECT database_privs_are(current_database(), 'postgate_reporting', ARRAY['CONNECT'],
                          'postgate_reporting only connects to the database: it cannot create schemas or temporary tables');

-- A real login in the reporting group, acting as itself.
\ir fixtures/reporting_login.sql
SET ROLE pgtap_reader;
SELECT lives_ok('SELECT count(*) FROM report.schema_history', 'a reporting login reads report views');
SELECT throws_ok('CREATE TABLE public.scratch (id int)',
                 '42501', 'permission denied for schema public',
                 'a reporting login cannot create tables in public');
SELECT throws_ok('CREATE TEMPORARY TABLE scratch (id int)',
                 '42501', format('permission denied for schema %s', pg_my_temp_schema()::regnamespace),
                 'a reporting login cannot create temporary tables');
SELECT throws_ok('SELECT * FROM migrations.history',
                 '42501', 'permission denied for schema migrations',
                 'a reporting login cannot read the migration history table directly');
RESET ROLE;

-- The schema history view shows the first migration.
SELECT ok(EXISTS (SELECT FROM report.schema_history WHERE version = 1 AND script = 'V0001__schemas_and_roles.sql'),
          'report.schema_history lists V0001');

SELECT * FROM finish();
ROLLBACK;
