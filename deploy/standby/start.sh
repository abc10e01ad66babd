#!/bin/sh
# The reporting standby: on its first start a copy of the primary by pg_basebackup through the
# replication slot "reporting" (-R writes the connection to the primary), then a hot standby that
# psql reporting reads. It never takes writes; a write there is refused as read-only.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    until pg_isready -h db -p 5432 -U replicator >/dev/null 2>&1; do sleep 1; done
    PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup -h db -p 5432 -U replicator -D "$PGDATA" -R -X stream --slot reporting
    chmod 700 "$PGDATA"
fi
exec postgres -c hot_standby=on -c hot_standby_feedback=on
