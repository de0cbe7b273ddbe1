CREATE OR REPLACE FUNCTION calib._epoch_text(p_value text, p_what text)
RETURNS bigint
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* An epoch given as text (the all-text forms of the history functions): decimal digits,
   optionally signed; NULL or '' is NULL (now / no bound). Range checks are the caller's
   (calib._as_of). Errors: KC015 epoch_text. */
BEGIN
    IF p_value IS NULL OR btrim(p_value) = '' THEN
        RETURN NULL;
    END IF;
    IF btrim(p_value) !~ '^-?[0-9]{1,18}$' THEN
        IF calib._raise('KC015', format('%s must be an epoch (an integer), not %L', p_what, p_value),
            jsonb_build_object('kind', 'epoch_text', 'what', p_what, 'value', p_value)) IS NULL THEN END IF;
    END IF;
    RETURN btrim(p_value)::bigint;
END
$$;
