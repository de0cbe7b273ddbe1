CREATE OR REPLACE FUNCTION calib._check_name(p_name text, p_what text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* Names (collections, dataset types, dimensions), given already in Unicode NFC (callers
   normalise first: normalize(name, NFC)): 1-255 characters, none of them forbidden
   (calib._forbidden_character: control, bidi, zero-width and other format characters).
   Error: KC014 (KC015 for NULL). The table CHECKs say the same for raw writers, and
   calibcert.types.check_name the same for the Python client. */
DECLARE
    v_char text;
BEGIN
    IF p_name IS NULL THEN
        IF calib._raise('KC015', format('%s must not be NULL', p_what),
                             jsonb_build_object('kind', 'argument_null', 'what', p_what)) IS NULL THEN END IF;
    END IF;
    IF char_length(p_name) NOT BETWEEN 1 AND 255 THEN
        IF calib._raise('KC014',
            format('%s %L must be 1 to 255 characters long (got %s)',
                   p_what, left(p_name, 40), char_length(p_name)),
            jsonb_build_object('kind', 'name_length', 'what', p_what, 'name', p_name,
                               'length', char_length(p_name))) IS NULL THEN END IF;
    END IF;
    v_char := calib._forbidden_character(p_name);
    IF v_char IS NOT NULL THEN
        IF calib._raise('KC014',
            format('%s %L contains a forbidden character (%s)', p_what, p_name, v_char),
            jsonb_build_object('kind', 'name_character', 'what', p_what, 'name', p_name,
                               'character', v_char)) IS NULL THEN END IF;
    END IF;
END
$$;
