-- SQL helpers used by the data API's compiled queries, shared by every app schema.

CREATE SCHEMA IF NOT EXISTS hearth_fn;

-- Parse's date form: 2024-01-02T03:04:05.678Z.
CREATE FUNCTION hearth_fn.iso(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;

-- Great-circle distance in radians between a stored GeoPoint and a latitude/longitude.
CREATE FUNCTION hearth_fn.geo_distance(p jsonb, lat float8, lng float8) RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT 2 * asin(least(1, sqrt(
    power(sin(radians((p->>'latitude')::float8 - lat) / 2), 2) +
    cos(radians(lat)) * cos(radians((p->>'latitude')::float8)) *
    power(sin(radians((p->>'longitude')::float8 - lng) / 2), 2))))
  WHERE jsonb_typeof(p) = 'object' AND p->>'__type' = 'GeoPoint'
$$;

-- A stored GeoPoint as a point (latitude, longitude).
CREATE FUNCTION hearth_fn.geo_point(p jsonb) RETURNS point
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT point((p->>'latitude')::float8, (p->>'longitude')::float8)
      WHERE jsonb_typeof(p) = 'object' AND p->>'__type' = 'GeoPoint' $$;

-- A stored Polygon ({"coordinates": [[lat, lng], ...]}) as a polygon in (latitude, longitude).
CREATE FUNCTION hearth_fn.geo_polygon(p jsonb) RETURNS polygon
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT polygon('(' || string_agg('(' || (c->>0) || ',' || (c->>1) || ')', ',' ORDER BY ord) || ')')
  FROM jsonb_array_elements(p->'coordinates') WITH ORDINALITY AS e(c, ord)
  WHERE jsonb_typeof(p) = 'object' AND p->>'__type' = 'Polygon'
$$;
