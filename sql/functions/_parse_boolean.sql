CREATE OR REPLACE FUNCTION calib._parse_boolean(p_value text, p_what text)
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* A boolean argument of an all-text form: what PostgreSQL's boolean input takes (true /
   false, t / f, yes / no, on / off, 1 / 0, any case). NULL stays NULL.
   Errors: KC016 (argument_text) naming the argument p_what. */
BEGIN
    RETURN p_value::boolean;
EXCEPTION WHEN invalid_text_representation THEN
    IF calib._raise('KC016',
        format('%s must be %s, not %L', p_what, 'true or false', p_value),
        jsonb_build_object('kind', 'argument_text', 'what', p_what,
                           'expected', 'true or false', 'value', p_value)) IS NULL THEN END IF;
    RETURN NULL;
END
$$;
