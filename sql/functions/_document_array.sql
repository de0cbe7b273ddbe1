CREATE OR REPLACE FUNCTION calib._document_array(p_doc jsonb, p_what text)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* A list argument given as one JSON document (README "Calling from another service"):
   p_doc itself when it is a JSON array; NULL for SQL NULL or JSON null (no list, as a NULL
   array). Anything else is KC016 (document_not_array), naming the argument p_what. */
BEGIN
    IF p_doc IS NULL OR jsonb_typeof(p_doc) = 'null' THEN
        RETURN NULL;
    END IF;
    IF jsonb_typeof(p_doc) <> 'array' THEN
        IF calib._raise('KC016',
            format('%s must be a JSON array, not a JSON %s', p_what, jsonb_typeof(p_doc)),
            jsonb_build_object('kind', 'document_not_array', 'what', p_what,
                               'found', jsonb_typeof(p_doc))) IS NULL THEN END IF;
    END IF;
    RETURN p_doc;
END
$$;
