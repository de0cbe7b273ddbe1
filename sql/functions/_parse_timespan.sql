CREATE OR REPLACE FUNCTION calib._parse_timespan(p_value text, p_what text, p_position integer DEFAULT NULL)
RETURNS tstzrange
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* A timespan written as text by another service: a range '[begin,end)' whose bounds are
   instants as calib._parse_instant reads them (a bound may be double-quoted, as PostgreSQL
   prints ranges; an empty bound is unbounded), or 'empty'. The bounds characters are kept,
   so that the typed form refuses anything but [) exactly as it refuses a tstzrange.
   NULL stays NULL. Errors, KC009 naming the argument p_what (and, inside a list, the 1-based
   position p_position): timespan_syntax for text that is not such a range, time_naive /
   time_syntax for a bound, timespan_reversed for an end before the begin (which a
   tstzrange cannot even hold). */
DECLARE
    v text := btrim(p_value, E' \t\r\n');
    v_parts text[];
    v_lo timestamptz;
    v_hi timestamptz;
    v_bounds text;
BEGIN
    IF p_value IS NULL THEN
        RETURN NULL;
    END IF;
    IF lower(v) = 'empty' THEN
        RETURN 'empty'::tstzrange;
    END IF;
    v_parts := regexp_match(v, '^([[(])([^,]*),([^,]*)([])])$');
    IF v_parts IS NULL THEN
        IF calib._raise('KC009',
            format('%s%s %L is not a timespan such as [2024-01-01T00:00Z,2024-02-01T00:00Z)',
                   p_what,
                   CASE WHEN p_position IS NULL THEN '' ELSE format(' (element %s)', p_position) END,
                   p_value),
            jsonb_build_object('kind', 'timespan_syntax', 'what', p_what, 'position', p_position,
                               'value', p_value)) IS NULL THEN END IF;
    END IF;
    v_bounds := v_parts[1] || v_parts[4];
    v_parts[2] := btrim(btrim(v_parts[2], ' '), '"');
    v_parts[3] := btrim(btrim(v_parts[3], ' '), '"');
    v_lo := calib._parse_instant(nullif(v_parts[2], ''), p_what, p_position);
    v_hi := calib._parse_instant(nullif(v_parts[3], ''), p_what, p_position);
    IF v_lo > v_hi THEN
        IF calib._raise('KC009',
            format('timespan %s is empty or reversed: begin must be before end', p_value),
            jsonb_build_object('kind', 'timespan_reversed',
                'timespan', jsonb_build_array(
                    CASE WHEN isfinite(v_lo) THEN calib._ts_text(v_lo) ELSE v_lo::text END,
                    CASE WHEN isfinite(v_hi) THEN calib._ts_text(v_hi) ELSE v_hi::text END),
                'bounds', v_bounds,
                'begin', CASE WHEN isfinite(v_lo) THEN calib._ts_text(v_lo) ELSE v_lo::text END,
                'end', CASE WHEN isfinite(v_hi) THEN calib._ts_text(v_hi) ELSE v_hi::text END)) IS NULL THEN END IF;
    END IF;
    RETURN tstzrange(v_lo, v_hi, v_bounds);
END
$$;
