CREATE OR REPLACE FUNCTION calib._dataset_type(p_name text, p_need_calibration boolean DEFAULT false)
RETURNS calib.dataset_type
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* The dataset type named p_name. Errors: KC005 unknown, KC006 not a calibration type when
   p_need_calibration, KC015 NULL name. */
DECLARE
    v_row calib.dataset_type;
BEGIN
    IF p_name IS NULL THEN
        IF calib._raise('KC015', 'dataset type name must not be NULL',
                             jsonb_build_object('kind', 'argument_null', 'what', 'dataset type name')) IS NULL THEN END IF;
    END IF;
    /* Names are stored in NFC: look-alike spellings name the same dataset type. */
    p_name := normalize(p_name, NFC);
    SELECT * INTO v_row FROM calib.dataset_type WHERE name = p_name;
    IF NOT FOUND THEN
        IF calib._raise('KC005', format('dataset type %L does not exist', p_name),
                             jsonb_build_object('kind', 'dataset_type_missing', 'dataset_type', p_name)) IS NULL THEN END IF;
    END IF;
    IF p_need_calibration AND NOT v_row.is_calibration THEN
        IF calib._raise('KC006',
            format('dataset type %L is not a calibration type', p_name),
            jsonb_build_object('kind', 'not_calibration_type', 'dataset_type', p_name)) IS NULL THEN END IF;
    END IF;
    RETURN v_row;
END
$$;
