-- V0001: Postgate's schemas, its four group roles, and the privileges every later object inherits.
--
-- Roles are cluster-wide, so they are created only when missing (a second database on the same
-- server finds them). Everything else belongs to this database. Objects are created as
-- postgate_owner, so ownership never depends on who runs the migration.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'postgate_owner') THEN
        CREATE ROLE postgate_owner NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'postgate_service') THEN
        CREATE ROLE postgate_service NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'postgate_client') THEN
        CREATE ROLE postgate_client NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'postgate_reporting') THEN
        CREATE ROLE postgate_reporting NOLOGIN;
    END IF;
    -- An administrator who is not a superuser must be able to act as the owner.
    IF NOT pg_has_role(current_user, 'postgate_owner', 'MEMBER') THEN
        EXECUTE format('GRANT postgate_owner TO %I', current_user);
    END IF;
END
$$;

COMMENT ON ROLE postgate_owner IS 'Owns every Postgate object and runs migrations. Not a login.';
COMMENT ON ROLE postgate_service IS 'The Postgate service: may execute every api function, posting included.';
COMMENT ON ROLE postgate_client IS 'Other applications: may execute the non-posting api functions (drafts, stock, imports).';
COMMENT ON ROLE postgate_reporting IS 'psql reporting users: may read the report views and write nothing.';

-- Anyone may connect; creating schemas and temporary tables is for Postgate's own roles only.
DO $$
BEGIN
    EXECUTE format('REVOKE CREATE, TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT CREATE, TEMPORARY ON DATABASE %I TO postgate_owner', current_database());
    EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO postgate_service, postgate_client', current_database());
    -- The owner's schema-history view reads the migration history.
    IF to_regclass('migrations.history') IS NOT NULL THEN
        GRANT USAGE ON SCHEMA migrations TO postgate_owner;
        GRANT SELECT ON migrations.history TO postgate_owner;
    END IF;
END
$$;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

SET LOCAL ROLE postgate_owner;

CREATE SCHEMA ar;
COMMENT ON SCHEMA ar IS 'Postgate''s tables. No client reads or writes them directly: use the api functions and report views.';
CREATE SCHEMA api;
COMMENT ON SCHEMA api IS 'Functions that clients call. postgate_service may call all; postgate_client the non-posting ones.';
CREATE SCHEMA report;
COMMENT ON SCHEMA report IS 'Read-only views for reporting with psql.';

REVOKE ALL ON SCHEMA ar, api, report FROM PUBLIC;
GRANT USAGE ON SCHEMA api TO postgate_service, postgate_client;
GRANT USAGE ON SCHEMA report TO postgate_reporting, postgate_service;

-- Nothing the owner creates is executable by PUBLIC; api functions are the service's, and
-- grants to postgate_client sit beside each function that clients may call.
ALTER DEFAULT PRIVILEGES FOR ROLE postgate_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE postgate_owner IN SCHEMA api GRANT EXECUTE ON FUNCTIONS TO postgate_service;
-- Every report view is readable by reporting users and the service, and by nobody else.
ALTER DEFAULT PRIVILEGES FOR ROLE postgate_owner IN SCHEMA report GRANT SELECT ON TABLES TO postgate_reporting, postgate_service;
