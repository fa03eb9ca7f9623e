-- eduplan: the database and one login role per service, each owning its own schema.
--
-- Run by psql as a superuser. The postgres image runs it once, on an empty data directory
-- (docker-entrypoint-initdb.d). Running it by hand against an existing server is safe too
-- (every step checks first):
--   PG_ASSISTANCE_PASSWORD=... PG_PROJECTION_PASSWORD=... psql -U postgres -f init.sql
--
-- Why a role per service: a service's Postgres schema is its source of truth (events, outbox,
-- commands), so no other service may read or change it. Each role owns exactly one schema
-- and has no other right than to connect: it cannot create databases or roles and cannot
-- touch another schema. The services' own migrations (shared/migrations.py) create their
-- tables, as that owner, at start-up.
--
--   role        schema       used by
--   assistance  assistance   python -m services.assistance
--   staffing    staffing     python -m services.staffing (and pairing, evaluation alike)
--   pairing     pairing
--   evaluation  evaluation
--   alerts      alerts       python -m services.alerts (and SELECT on the read models)
--   projection  reporting    python -m services.projection (reads NATS, not the other schemas)
--
-- Passwords come from the environment of psql (\getenv, psql 15 or later): PG_<ROLE>_PASSWORD.
-- A role whose variable is unset keeps its password; a new one gets none (no TCP login).

\set ON_ERROR_STOP on

-- The database: compose creates it already (POSTGRES_DB=eduplan); elsewhere create it here.
SELECT 'CREATE DATABASE eduplan'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'eduplan') \gexec
\connect eduplan

-- Nothing by default: CONNECT is granted per role below; no temporary tables, no `public`.
REVOKE ALL ON DATABASE eduplan FROM PUBLIC;
REVOKE ALL ON SCHEMA public FROM PUBLIC;

\getenv assistance_password PG_ASSISTANCE_PASSWORD
\getenv staffing_password PG_STAFFING_PASSWORD
\getenv pairing_password PG_PAIRING_PASSWORD
\getenv evaluation_password PG_EVALUATION_PASSWORD
\getenv alerts_password PG_ALERTS_PASSWORD
\getenv projection_password PG_PROJECTION_PASSWORD
\if :{?assistance_password} \else \set assistance_password '' \endif
\if :{?staffing_password} \else \set staffing_password '' \endif
\if :{?pairing_password} \else \set pairing_password '' \endif
\if :{?evaluation_password} \else \set evaluation_password '' \endif
\if :{?alerts_password} \else \set alerts_password '' \endif
\if :{?projection_password} \else \set projection_password '' \endif

CREATE TEMPORARY TABLE service_roles (role name, schema name, password text);
INSERT INTO service_roles VALUES
    ('assistance', 'assistance', :'assistance_password'),
    ('staffing',   'staffing',   :'staffing_password'),
    ('pairing',    'pairing',    :'pairing_password'),
    ('evaluation', 'evaluation', :'evaluation_password'),
    ('alerts',     'alerts',     :'alerts_password'),
    ('projection', 'reporting',  :'projection_password');

SELECT format('CREATE ROLE %I', role) FROM service_roles
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = role) \gexec

-- No superuser, no CREATEDB, no CREATEROLE, no replication.
SELECT format(
    'ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS', role)
FROM service_roles \gexec
SELECT format('ALTER ROLE %I PASSWORD %L', role, password)
FROM service_roles WHERE password <> '' \gexec

SELECT format('GRANT CONNECT ON DATABASE eduplan TO %I', role) FROM service_roles \gexec

-- Each schema exists before its service starts, owned by that service's role. The migrations
-- run `CREATE SCHEMA IF NOT EXISTS <own schema>`, which PostgreSQL allows only to a role with
-- CREATE on the database, even when the schema exists: so the roles get CREATE on the
-- database too. That lets a role add new schemas of its own, never reach into another's.
SELECT format('CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I', schema, role)
FROM service_roles \gexec
SELECT format('ALTER SCHEMA %I OWNER TO %I', schema, role) FROM service_roles \gexec
SELECT format('REVOKE ALL ON SCHEMA %I FROM PUBLIC', schema) FROM service_roles \gexec
SELECT format('GRANT CREATE ON DATABASE eduplan TO %I', role) FROM service_roles \gexec

-- Unqualified names resolve to the role's own schema only (the code qualifies them anyway).
SELECT format('ALTER ROLE %I IN DATABASE eduplan SET search_path = %I', role, schema)
FROM service_roles \gexec

SELECT format('DO $$BEGIN RAISE WARNING %L; END$$', format(
    'PG_%s_PASSWORD is not set: role %s keeps the password it had (a new role has none'
    ' and cannot log in over TCP)', upper(role), role))
FROM service_roles WHERE password = '' \gexec

-- The alerts service's rules read the read models: SELECT on what the projection creates,
-- in any schema (a rebuild builds tables elsewhere and moves them into reporting).
GRANT USAGE ON SCHEMA reporting TO alerts;
GRANT SELECT ON ALL TABLES IN SCHEMA reporting TO alerts;
ALTER DEFAULT PRIVILEGES FOR ROLE projection GRANT SELECT ON TABLES TO alerts;

DROP TABLE service_roles;
