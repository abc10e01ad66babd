-- Rights that hold whatever the files before this one granted, and the session defaults of
-- reporting logins. Runs last. The database, the public schema and the logins are the migrating
-- administrator's, so that part runs as the administrator; the rest as the owner.

-- Reporting is read-only by rights, not only by its default: no temporary objects (one could
-- stand where a definer function looks) and nothing created anywhere. Nobody but the owner creates
-- in the public schema. A database made as a copy of another starts with PostgreSQL's default
-- rights on itself (PUBLIC may create temporary tables), so they are stated again here.
DO $$
BEGIN
    EXECUTE format('REVOKE CREATE, TEMPORARY ON DATABASE %I FROM PUBLIC, postgate_reporting', current_database());
    EXECUTE format('REVOKE CREATE ON DATABASE %I FROM postgate_service, postgate_client', current_database());
    EXECUTE format('GRANT CREATE, TEMPORARY ON DATABASE %I TO postgate_owner', current_database());
    EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO postgate_service, postgate_client', current_database());
END
$$;
REVOKE CREATE ON SCHEMA public FROM PUBLIC, postgate_service, postgate_client, postgate_reporting;

-- Role settings of a group do not reach its members: each reporting login carries its own
-- (set when Postgate makes the login; this covers logins made before or by hand). A setting the
-- login already has, whatever its value, is the administrator's choice and is kept. A login that
-- is also in a writing group keeps its defaults: read-only would stop its writes.
DO $$
DECLARE
    v_login record;
    v_setting record;
BEGIN
    FOR v_login IN
        SELECT r.rolname, coalesce(s.setconfig, '{}') AS config
        FROM pg_roles r
        JOIN pg_auth_members m ON m.member = r.oid AND m.roleid = 'postgate_reporting'::regrole
        LEFT JOIN pg_db_role_setting s ON s.setrole = r.oid AND s.setdatabase = 0
        WHERE r.rolcanlogin AND NOT r.rolsuper
          AND NOT pg_has_role(r.oid, 'postgate_service', 'MEMBER') AND NOT pg_has_role(r.oid, 'postgate_client', 'MEMBER')
        ORDER BY r.rolname
    LOOP
        FOR v_setting IN
            SELECT d.name, d.value FROM (VALUES ('default_transaction_read_only', 'on'), ('statement_timeout', '5min')) d(name, value)
            WHERE NOT EXISTS (SELECT FROM unnest(v_login.config) c WHERE c LIKE d.name || '=%')
        LOOP
            BEGIN
                EXECUTE format('ALTER ROLE %I SET %I = %L', v_login.rolname, v_setting.name, v_setting.value);
            EXCEPTION WHEN insufficient_privilege THEN
                -- A default, not a right: an administrator without CREATEROLE still migrates.
                RAISE WARNING 'could not set % on reporting login %', v_setting.name, v_login.rolname
                    USING HINT = format('As a superuser: ALTER ROLE %I SET %I = %L', v_login.rolname, v_setting.name, v_setting.value);
            END;
        END LOOP;
    END LOOP;
END
$$;

SET LOCAL ROLE postgate_owner;

-- The tables are read and written through api functions and report views only.
REVOKE ALL ON ALL TABLES IN SCHEMA ar FROM PUBLIC, postgate_service, postgate_client, postgate_reporting;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA ar FROM PUBLIC, postgate_service, postgate_client, postgate_reporting;
REVOKE CREATE ON SCHEMA ar, api, report FROM PUBLIC, postgate_service, postgate_client, postgate_reporting;

-- ar functions run inside definer functions; only the report helpers (granted beside them) are
-- executable by a reader.
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA ar FROM PUBLIC, postgate_client;

-- No api function for reporting or PUBLIC: the report views are all a reporting login reads.
REVOKE USAGE ON SCHEMA api FROM postgate_reporting;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA api FROM PUBLIC, postgate_reporting;

-- Report views: SELECT for reporting and the service, nothing else for anyone.
REVOKE ALL ON ALL TABLES IN SCHEMA report FROM PUBLIC, postgate_client;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA report FROM postgate_reporting, postgate_service;
GRANT SELECT ON ALL TABLES IN SCHEMA report TO postgate_reporting, postgate_service;
