-- @contexts placelink hosts for NGSI-LD clients (ETSI GS CIM 009 clause 5.13): added by a client
-- (Hosted) or made by placelink for a request (ImplicitlyCreated). Each is served at
-- <base>/ngsi-ld/v1/jsonldContexts/<id>; the URL is not stored because the base comes from each
-- request (BASE_URL or the request's own host), so the id is the key. Copies of published contexts
-- (Cached) stay in the process: placelink ships the common ones and fetches the rest.
-- document: {"@context": …} as the client gave it, other members dropped.
-- hits and last_used_at: how often requests used the context, added in batches by each process.
CREATE TABLE ngsi_ld_context (
  id uuid PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('Hosted', 'ImplicitlyCreated')),
  document jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  hits bigint NOT NULL DEFAULT 0 CHECK (hits >= 0)
);

CREATE INDEX ngsi_ld_context_kind_idx ON ngsi_ld_context (kind, created_at);
