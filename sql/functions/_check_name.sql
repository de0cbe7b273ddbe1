CREATE OR REPLACE FUNCTION calib._check_name(p_name text, p_what text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* Names (collections, dataset types, dimensions): 1-255 characters, no control characters.
   Error: KC014 (KC015 for NULL). The table CHECKs say the same for raw writers. */
BEGIN
    IF p_name IS NULL THEN
        PERFORM calib._raise('KC015', format('%s must not be NULL', p_what),
                             jsonb_build_object('kind', 'argument_null', 'what', p_what));
    END IF;
    IF char_length(p_name) NOT BETWEEN 1 AND 255 THEN
        PERFORM calib._raise('KC014',
            format('%s %L must be 1 to 255 characters long (got %s)',
                   p_what, left(p_name, 40), char_length(p_name)),
            jsonb_build_object('kind', 'name_length', 'what', p_what, 'name', p_name,
                               'length', char_length(p_name)));
    END IF;
    IF p_name ~ '[\x01-\x1f\x7f-\x9f]' THEN
        PERFORM calib._raise('KC014', format('%s %L contains a control character', p_what, p_name),
                             jsonb_build_object('kind', 'name_control_character',
                                                'what', p_what, 'name', p_name));
    END IF;
END
$$;
