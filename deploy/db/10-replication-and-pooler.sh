#!/bin/sh
# Run once by the postgres image when the primary's data folder is created
# (/docker-entrypoint-initdb.d): a login the reporting standby replicates with, its replication
# slot, and the lookup PgBouncer authenticates clients with.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v replication_password="$REPLICATION_PASSWORD" -v pooler_password="$PGBOUNCER_AUTH_PASSWORD" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'replication_password';
SELECT pg_create_physical_replication_slot('reporting');

-- PgBouncer asks this function for a login's SCRAM verifier, as pgbouncer_auth, which may do
-- nothing else; the verifier lets PgBouncer log in to the server as that login in turn.
CREATE ROLE pgbouncer_auth WITH LOGIN PASSWORD :'pooler_password';
CREATE SCHEMA pgbouncer AUTHORIZATION postgres;
REVOKE ALL ON SCHEMA pgbouncer FROM PUBLIC;
GRANT USAGE ON SCHEMA pgbouncer TO pgbouncer_auth;
CREATE FUNCTION pgbouncer.get_auth(p_user name, OUT usename name, OUT passwd text)
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT s.usename, s.passwd FROM pg_catalog.pg_shadow s
    WHERE s.usename = p_user AND NOT s.usesuper AND s.usename NOT IN ('replicator', 'pgbouncer_auth')
$$;
REVOKE ALL ON FUNCTION pgbouncer.get_auth(name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pgbouncer.get_auth(name) TO pgbouncer_auth;
SQL
# Standbys connect for replication with a password.
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
