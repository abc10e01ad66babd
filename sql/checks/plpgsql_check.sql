-- Every PL/pgSQL function of Postgate through plpgsql_check, trigger functions once per table
-- that uses them (with its transition tables): one row per finding (errors, warnings and extra warnings). scripts/sql-check
-- fails on any finding not listed, with its reason, in sql/checks/plpgsql_check.allowed.
WITH fns AS (
    SELECT p.oid, p.prorettype = 'trigger'::regtype AS is_trigger
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
    WHERE n.nspname IN ('ar', 'api', 'report', 'staging') AND l.lanname = 'plpgsql'
), targets AS (
    SELECT f.oid, 0::oid AS relid, NULL::name AS oldtable, NULL::name AS newtable FROM fns f WHERE NOT f.is_trigger
    UNION
    SELECT f.oid, t.tgrelid, t.tgoldtable, t.tgnewtable FROM fns f JOIN pg_trigger t ON t.tgfoid = f.oid WHERE f.is_trigger
)
SELECT t.oid::regprocedure || ' | ' || c.level || ' | ' || c.message AS finding
FROM targets t, LATERAL plpgsql_check_function_tb(t.oid, t.relid, oldtable => t.oldtable, newtable => t.newtable, extra_warnings => true, performance_warnings => false, security_warnings => true) c
ORDER BY 1, c.lineno;
