/* One value type per dimension name, everywhere (as in the Butler: detector is an integer
   for every dataset type that has it). Fixed at first use: the first data ID stored with a
   dimension fixes its type (calib._fix_dimensions before insert_datasets checks its data
   IDs; the statement triggers on calib.data_id for every other writer), so 1 and "1" can
   never be two keys. Never write this table yourself: a type cannot change while data IDs
   use it. */
CREATE TABLE calib.dimension (
    name       text NOT NULL,
    value_type text NOT NULL,
    CONSTRAINT dimension_pkey PRIMARY KEY (name),
    CONSTRAINT dimension_value_type_check CHECK (value_type IN ('integer', 'string'))
);
COMMENT ON TABLE calib.dimension IS
    'The value type of each dimension name (integer or string), fixed by the first data ID '
    'stored with it; data IDs whose value has the other type are refused (KC008).';
