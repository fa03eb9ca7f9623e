-- eduplan: the database, an owner role per service schema and a login role per service.
--
-- Run by psql as a superuser. The postgres image runs it once, on an empty data directory
-- (docker-entrypoint-initdb.d). Running it by hand against an existing server is safe too
-- (every step checks first):
--   PG_ASSISTANCE_PASSWORD=... PG_PROVISIONER_PASSWORD=... psql -U postgres -f init.sql
--
-- Least privilege. A domain service's schema is its source of truth (events, outbox,
-- commands), so:
--   * the schema and its tables belong to a role that cannot log in, `<service>_owner`;
--   * `eduplan provision` logs in as `eduplan_provisioner` (a member of every owner role),
--     runs the migrations as the owner and grants the service role what it uses: INSERT and
--     SELECT on its events, never UPDATE or DELETE (shared/eventstore.py RUNTIME_GRANTS);
--   * the service logs in as `<service>`: it can connect, and use what it was granted;
--     no other schema, no DDL, no temporary tables, nothing in `public`.
-- The projection owns its read models (schema `reporting`, rebuilt and snapshotted in
-- schemas of its own), which it may rewrite at will: they are derived from the events.
-- Readers of the read models (the alerts service) are members of `reporting_readers`,
-- which may read every read-model table except those holding personal data (the read
-- models revoke those from it themselves, see services/projection/*).
--
--   login role           schema it uses                used by
--   assistance           assistance (granted)          python -m services.assistance
--   staffing             staffing (granted)            python -m services.staffing
--   pairing              pairing (granted)             python -m services.pairing
--   evaluation           evaluation (granted)          python -m services.evaluation
--   alerts               alerts (granted), reporting   python -m services.projection.alerts
--                        (reads, as reporting_readers)
--   projection           reporting, access (owner)     python -m services.projection
--                        keystore (reads data keys, as keystore_readers)
--   eduplan_provisioner  every <service>_owner,        eduplan provision
--                        keystore_owner
--
-- The key store (schema `keystore`, owner `keystore_owner`, shared/keystore.py) holds the
-- per-person data keys that seal the personal parts of events, and the pseudonym keys,
-- apart from the events. Row-level security: assistance, staffing, pairing and evaluation
-- read, make and erase only their own keys; keystore_readers (the projection) reads every
-- data key; alerts, reporting_readers and everyone else read none.
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
\getenv provisioner_password PG_PROVISIONER_PASSWORD
\if :{?assistance_password} \else \set assistance_password '' \endif
\if :{?staffing_password} \else \set staffing_password '' \endif
\if :{?pairing_password} \else \set pairing_password '' \endif
\if :{?evaluation_password} \else \set evaluation_password '' \endif
\if :{?alerts_password} \else \set alerts_password '' \endif
\if :{?projection_password} \else \set projection_password '' \endif
\if :{?provisioner_password} \else \set provisioner_password '' \endif

CREATE TEMPORARY TABLE login_roles (role name, password text, variable text);
INSERT INTO login_roles VALUES
    ('assistance', :'assistance_password', 'PG_ASSISTANCE_PASSWORD'),
    ('staffing',   :'staffing_password',   'PG_STAFFING_PASSWORD'),
    ('pairing',    :'pairing_password',    'PG_PAIRING_PASSWORD'),
    ('evaluation', :'evaluation_password', 'PG_EVALUATION_PASSWORD'),
    ('alerts',     :'alerts_password',     'PG_ALERTS_PASSWORD'),
    ('projection', :'projection_password', 'PG_PROJECTION_PASSWORD'),
    ('eduplan_provisioner', :'provisioner_password', 'PG_PROVISIONER_PASSWORD');

-- Domain services: schema named after the service, owned by <service>_owner.
CREATE TEMPORARY TABLE domain_schemas (schema name);
INSERT INTO domain_schemas VALUES
    ('assistance'), ('staffing'), ('pairing'), ('evaluation'), ('alerts');

SELECT format('CREATE ROLE %I', role) FROM login_roles
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = role) \gexec
SELECT format('CREATE ROLE %I', schema || '_owner') FROM domain_schemas
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = schema || '_owner') \gexec
SELECT 'CREATE ROLE reporting_readers'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'reporting_readers') \gexec
SELECT 'CREATE ROLE keystore_owner'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'keystore_owner') \gexec
SELECT 'CREATE ROLE keystore_readers'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'keystore_readers') \gexec

-- No superuser, no CREATEDB, no CREATEROLE, no replication; owners cannot log in.
SELECT format(
    'ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS', role)
FROM login_roles \gexec
SELECT format(
    'ALTER ROLE %I NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS',
    schema || '_owner')
FROM domain_schemas \gexec
ALTER ROLE reporting_readers NOLOGIN;
ALTER ROLE keystore_owner NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
ALTER ROLE keystore_readers NOLOGIN;
SELECT format('ALTER ROLE %I PASSWORD %L', role, password)
FROM login_roles WHERE password <> '' \gexec

SELECT format('GRANT CONNECT ON DATABASE eduplan TO %I', role) FROM login_roles \gexec

-- Each domain schema exists before its service starts, owned by its owner role (which the
-- migrations run as: `CREATE SCHEMA IF NOT EXISTS` needs CREATE on the database even when
-- the schema exists). The service roles get no right here: provisioning grants them theirs.
SELECT format('CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I', schema, schema || '_owner')
FROM domain_schemas \gexec
SELECT format('ALTER SCHEMA %I OWNER TO %I', schema, schema || '_owner') FROM domain_schemas \gexec
SELECT format('REVOKE ALL ON SCHEMA %I FROM PUBLIC', schema) FROM domain_schemas \gexec
SELECT format('GRANT CREATE ON DATABASE eduplan TO %I', schema || '_owner')
FROM domain_schemas \gexec
-- A first release let the service roles own their schemas: take that back.
SELECT format('REVOKE CREATE ON DATABASE eduplan FROM %I', schema) FROM domain_schemas \gexec
SELECT format('REASSIGN OWNED BY %I TO %I', schema, schema || '_owner') FROM domain_schemas \gexec
SELECT format('GRANT %I TO eduplan_provisioner', schema || '_owner') FROM domain_schemas \gexec

-- The key store: its own schema and owner; provisioning migrates it and grants the rows.
CREATE SCHEMA IF NOT EXISTS keystore AUTHORIZATION keystore_owner;
ALTER SCHEMA keystore OWNER TO keystore_owner;
REVOKE ALL ON SCHEMA keystore FROM PUBLIC;
GRANT CREATE ON DATABASE eduplan TO keystore_owner;
GRANT keystore_owner TO eduplan_provisioner;
GRANT keystore_readers TO projection;

-- The projection owns `reporting` and makes schemas of its own to rebuild and time-travel;
-- it also owns `access`: the users of its reporting API, their sessions and tokens, and the
-- log of who read personal data (no reader of the read models gets anything there).
CREATE SCHEMA IF NOT EXISTS reporting AUTHORIZATION projection;
ALTER SCHEMA reporting OWNER TO projection;
REVOKE ALL ON SCHEMA reporting FROM PUBLIC;
CREATE SCHEMA IF NOT EXISTS access AUTHORIZATION projection;
ALTER SCHEMA access OWNER TO projection;
REVOKE ALL ON SCHEMA access FROM PUBLIC;
GRANT CREATE ON DATABASE eduplan TO projection;

-- Readers of the read models: every table the projection makes, by default; the read models
-- with personal data revoke theirs from reporting_readers when they create them.
GRANT USAGE ON SCHEMA reporting TO reporting_readers;
ALTER DEFAULT PRIVILEGES FOR ROLE projection GRANT SELECT ON TABLES TO reporting_readers;
REVOKE SELECT ON ALL TABLES IN SCHEMA reporting FROM alerts;
ALTER DEFAULT PRIVILEGES FOR ROLE projection REVOKE SELECT ON TABLES FROM alerts;
GRANT reporting_readers TO alerts;

-- Unqualified names resolve to the role's own schema only (the code qualifies them anyway).
SELECT format('ALTER ROLE %I IN DATABASE eduplan SET search_path = %I', schema, schema)
FROM domain_schemas \gexec
ALTER ROLE projection IN DATABASE eduplan SET search_path = reporting;

SELECT format('DO $$BEGIN RAISE WARNING %L; END$$', format(
    '%s is not set: role %s keeps the password it had (a new role has none'
    ' and cannot log in over TCP)', variable, role))
FROM login_roles WHERE password = '' \gexec

DROP TABLE login_roles;
DROP TABLE domain_schemas;
