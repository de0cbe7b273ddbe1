CREATE OR REPLACE FUNCTION calib._raise(p_code text, p_message text, p_detail jsonb DEFAULT '{}')
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
/* Raise a calibcert error: SQLSTATE p_code (class KC, see README "Error codes"), a message
   that names the offending objects, and the same facts as a JSON object in DETAIL, which the
   Python client turns into exception attributes. The one place errors are raised from. */
BEGIN
    RAISE EXCEPTION USING ERRCODE = p_code, MESSAGE = p_message, DETAIL = p_detail::text;
END
$$;
