-- The role of the analysts' read-only UI (dps-exchange-webserver-readonly.service): it can read
-- the Dagster instance's tables, today's and those a later `dagster instance migrate` creates,
-- and change nothing; its transactions are read-only as well. Idempotent: run it again after a
-- restore or to set a new password. As a superuser (or the owner role, if it may create roles),
-- in the instance's database; it may run before Dagster has made its tables (right after
-- instance-database.sql: the default privileges cover them). deploy/install prints it with the
-- site's names:
--
--   sudo cat /etc/dps-exchange/credentials/DAGSTER_PG_READONLY_PASSWORD |
--     psql --no-psqlrc --host=<database host> --username=<an administrator> --dbname=dagster \
--       --set=ON_ERROR_STOP=1 --set=owner=dagster --set=readonly_role=dagster_readonly \
--       --file=/opt/dps-exchange/deploy/postgres/readonly-role.sql
--
-- The password comes on standard input, never on a command line (which every local user can
-- read in /proc). The server stores it hashed (SCRAM); a server set to log statements
-- (log_statement = ddl or all) would log it in clear: run this where it does not.

\set readonly_password `cat`

SELECT format('CREATE ROLE %I LOGIN', :'readonly_role')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'readonly_role') \gexec
ALTER ROLE :"readonly_role" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD :'readonly_password';
ALTER ROLE :"readonly_role" SET default_transaction_read_only = on;
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), :'readonly_role') \gexec
GRANT USAGE ON SCHEMA public TO :"readonly_role";
GRANT SELECT ON ALL TABLES IN SCHEMA public TO :"readonly_role";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT SELECT ON TABLES TO :"readonly_role";
