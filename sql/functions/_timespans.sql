CREATE OR REPLACE FUNCTION calib._timespans(p_doc jsonb, p_what text)
RETURNS tstzrange[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* A JSON array document of timespans (range strings such as
   "[2024-01-01T00:00Z,2024-02-01T00:00Z)", read by calib._parse_timespan; null for NULL)
   as tstzrange[]. NULL (or JSON null) stays NULL.
   Errors, naming the argument p_what and the element's 1-based position: KC016 not an
   array (document_not_array) or an element that is neither a string nor null
   (document_element); KC009 a string that is not such a range. */
DECLARE
    v_bad record;
BEGIN
    IF calib._document_array(p_doc, p_what) IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT u.n, u.e INTO v_bad FROM jsonb_array_elements(p_doc) WITH ORDINALITY AS u(e, n)
    WHERE jsonb_typeof(u.e) NOT IN ('string', 'null') ORDER BY u.n LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC016',
            format('%s (element %s) must be %s, not %s', p_what, v_bad.n,
                   'a timespan (a range string such as "[2024-01-01T00:00Z,)")', v_bad.e),
            jsonb_build_object('kind', 'document_element', 'what', p_what, 'position', v_bad.n,
                               'expected', 'a timespan (a range string such as "[2024-01-01T00:00Z,)")',
                               'value', v_bad.e)) IS NULL THEN END IF;
    END IF;
    RETURN ARRAY(SELECT calib._parse_timespan(u.e #>> '{}', p_what, u.n::integer)
                 FROM jsonb_array_elements(p_doc) WITH ORDINALITY AS u(e, n) ORDER BY u.n);
END
$$;
