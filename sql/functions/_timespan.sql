CREATE OR REPLACE FUNCTION calib._timespan(p_span tstzrange)
RETURNS tstzrange
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* Validate a timespan argument and return it normalised: [) bounds, +-infinity turned into
   a missing bound. Errors: KC009 for anything but a non-empty [begin, end); KC015 for NULL. */
DECLARE
    v_lo timestamptz := lower(p_span);
    v_hi timestamptz := upper(p_span);
BEGIN
    IF p_span IS NULL THEN
        IF calib._raise('KC015', 'timespan must not be NULL',
                             jsonb_build_object('kind', 'argument_null', 'what', 'timespan')) IS NULL THEN END IF;
    END IF;
    IF isempty(p_span) THEN
        IF calib._raise('KC009', 'timespan is empty: begin must be before end',
                             jsonb_build_object('kind', 'timespan_empty', 'timespan', NULL)) IS NULL THEN END IF;
    END IF;
    IF (NOT lower_inf(p_span) AND NOT lower_inc(p_span) AND v_lo <> '-infinity')
       OR (NOT upper_inf(p_span) AND upper_inc(p_span) AND v_hi <> 'infinity') THEN
        IF calib._raise('KC009',
            format('timespan %s must have [) bounds (begin included, end excluded)', p_span),
            jsonb_build_object('kind', 'timespan_bounds', 'timespan', calib._span_json(p_span),
                'bounds', CASE WHEN lower_inc(p_span) THEN '[' ELSE '(' END
                          || CASE WHEN upper_inc(p_span) THEN ']' ELSE ')' END,
                'begin', CASE WHEN lower_inf(p_span) THEN NULL WHEN isfinite(lower(p_span))
                              THEN calib._ts_text(lower(p_span)) ELSE lower(p_span)::text END,
                'end', CASE WHEN upper_inf(p_span) THEN NULL WHEN isfinite(upper(p_span))
                            THEN calib._ts_text(upper(p_span)) ELSE upper(p_span)::text END)) IS NULL THEN END IF;
    END IF;
    IF v_lo = '-infinity' THEN v_lo := NULL; END IF;
    IF v_hi = 'infinity' THEN v_hi := NULL; END IF;
    IF v_lo = 'infinity' OR v_hi = '-infinity' OR v_lo >= v_hi THEN
        IF calib._raise('KC009',
            format('timespan %s is empty or reversed: begin must be before end', p_span),
            jsonb_build_object('kind', 'timespan_reversed', 'timespan', calib._span_json(p_span),
                'bounds', CASE WHEN lower_inc(p_span) THEN '[' ELSE '(' END
                          || CASE WHEN upper_inc(p_span) THEN ']' ELSE ')' END,
                'begin', CASE WHEN lower_inf(p_span) THEN NULL WHEN isfinite(lower(p_span))
                              THEN calib._ts_text(lower(p_span)) ELSE lower(p_span)::text END,
                'end', CASE WHEN upper_inf(p_span) THEN NULL WHEN isfinite(upper(p_span))
                            THEN calib._ts_text(upper(p_span)) ELSE upper(p_span)::text END)) IS NULL THEN END IF;
    END IF;
    RETURN tstzrange(v_lo, v_hi, '[)');
END
$$;
