CREATE OR REPLACE FUNCTION calib._caller()
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* The role a writer list is checked against: the session's effective role, as the caller
   saw it before entering calibcert's SECURITY DEFINER functions, where current_user is
   calib_owner. That is the role set by SET ROLE (the setting "role", which a SECURITY
   DEFINER call does not change, and which PostgreSQL only lets a session set to a role its
   login may SET ROLE to), else the login role (session_user). Why not session_user alone:
   a pooler or an application that logs in as one role and runs SET ROLE per end user (the
   usual way to drop privileges) would be checked as the login, which may be a member of
   every writer role. The one case where this differs from the caller's current_user is a
   call from inside another SECURITY DEFINER function: the session's role is checked, not
   that function's owner (README "Collection states and writers"). */
BEGIN
    /* PL/pgSQL, not SQL (revision 0016): a SQL function with a SET clause is never
       inlined and was parsed and planned again at every call (20-60 us); PL/pgSQL
       keeps its plan for the session (bench/README.md "PostgreSQL writes"). */
    RETURN CASE WHEN current_setting('role') = 'none' THEN session_user::text
                ELSE current_setting('role') END;
END
$$;
