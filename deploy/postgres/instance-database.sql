-- The Dagster instance's database and the role that owns it (the code server, the daemon and the
-- operators' UI connect as it; deploy/dagster.yaml). Once, on the database host's server, before
-- the exchange first starts, as a superuser (or a role with CREATEROLE and CREATEDB); then
-- readonly-role.sql for the analysts' UI. Idempotent: run again, it sets the password again.
-- The password is the one the installer made in /etc/dps-exchange/credentials (deploy/install
-- prints these commands with the site's names):
--
--   sudo cat /etc/dps-exchange/credentials/DAGSTER_PG_PASSWORD |
--     psql --no-psqlrc --host=<database host> --username=<an administrator> --dbname=postgres \
--       --set=ON_ERROR_STOP=1 --set=owner=dagster --set=database=dagster \
--       --file=/opt/dps-exchange/deploy/postgres/instance-database.sql
--
-- The password comes on standard input, never on a command line (which every local user can
-- read in /proc); psql asks for the administrator's own password on the terminal. The server
-- stores it hashed (SCRAM); a server set to log statements (log_statement = ddl or all) would log
-- it in clear: run this where it does not.

\set owner_password `cat`

SELECT format('CREATE ROLE %I LOGIN', :'owner')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'owner') \gexec
ALTER ROLE :"owner" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  PASSWORD :'owner_password';
SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L TEMPLATE template0', :'database', :'owner', 'UTF8')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database') \gexec
-- Only the roles granted it connect (the owner; readonly-role.sql grants its role), whatever
-- pg_hba.conf lets through.
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'database') \gexec
