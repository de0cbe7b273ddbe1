CREATE OR REPLACE FUNCTION calib._raise(p_code text, p_message text, p_detail jsonb DEFAULT '{}')
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
/* Raise a calibcert error: SQLSTATE p_code (class KC, see README "Error codes"), a message
   that names the offending objects, and the same facts as a JSON object in DETAIL, which the
   Python client turns into exception attributes. The one place errors are raised from.
   The message starts with the SQLSTATE ("KC002: collection 'x' does not exist"), so that
   psql at its default verbosity, and any log or driver that prints only the message, shows
   it (revision 0011).
   PL/pgSQL callers write `IF calib._raise(...) IS NULL THEN END IF;` rather than PERFORM,
   and call every other helper they run for its effect the same way: a call that is a plain
   expression is evaluated without the SQL executor, so the error's CONTEXT names only the
   functions and lines ("PL/pgSQL function calib.certify(...) line 56 at IF"), where
   PERFORM added the whole text of each call on the way (revision 0011). A call whose
   arguments hold a subquery, and real queries (lock statements, SELECT ... INTO), still go
   through the executor and show their text. */
BEGIN
    RAISE EXCEPTION USING ERRCODE = p_code, MESSAGE = p_code || ': ' || p_message,
                          DETAIL = p_detail::text;
END
$$;
