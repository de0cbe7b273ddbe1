CREATE OR REPLACE FUNCTION calib._parse_instant(p_value text, p_what text, p_position integer DEFAULT NULL)
RETURNS timestamptz
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* An instant written as text by another service (the all-text forms, JSON documents),
   read by calibcert itself rather than by PostgreSQL's timestamptz input, which would take
   a time without an offset in the session's TimeZone: strictly ISO 8601 (date, 'T' or a
   space, hh:mm[:ss[.ffffff]]) with 'Z' or an offset (+hh, +hhmm, +hh:mm), or 'infinity' /
   '-infinity'. NULL stays NULL. Errors, KC009 naming the argument p_what (and, inside a
   list, the 1-based position p_position): time_naive for a date or time without an offset,
   time_syntax for anything else that is not such an instant. */
DECLARE
    v text := btrim(p_value, E' \t\r\n');
BEGIN
    IF p_value IS NULL THEN
        RETURN NULL;
    END IF;
    IF lower(v) IN ('infinity', '+infinity', '-infinity') THEN
        RETURN ltrim(lower(v), '+')::timestamptz;
    END IF;
    IF v ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?)?$' THEN
        IF calib._raise('KC009',
            format('%s%s %L has no UTC offset (write it with Z or +hh:mm)', p_what,
                   CASE WHEN p_position IS NULL THEN '' ELSE format(' (element %s)', p_position) END,
                   p_value),
            jsonb_build_object('kind', 'time_naive', 'what', p_what, 'position', p_position,
                               'value', p_value)) IS NULL THEN END IF;
    END IF;
    IF v ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)? *([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)$' THEN
        BEGIN
            RETURN v::timestamptz;
        EXCEPTION WHEN data_exception THEN
            NULL;  -- out of range (month 13, hour 25...): told below
        END;
    END IF;
    IF calib._raise('KC009',
        format('%s%s %L is not an ISO 8601 instant with a UTC offset', p_what,
               CASE WHEN p_position IS NULL THEN '' ELSE format(' (element %s)', p_position) END,
               p_value),
        jsonb_build_object('kind', 'time_syntax', 'what', p_what, 'position', p_position,
                           'value', p_value)) IS NULL THEN END IF;
    RETURN NULL;
END
$$;
