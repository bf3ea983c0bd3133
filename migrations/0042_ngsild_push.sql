-- Federation push (a mapping's ngsiLd.pushTo): placelink keeps one subscription of its own per
-- mapping that pushes, whose notifications are upserts into another broker rather than Notifications.
-- push_to is that broker's NGSI-LD base URL ('…/ngsi-ld/v1'); NULL for subscriptions made through the
-- API (only those are listed by it).
ALTER TABLE ngsild_subscription ADD COLUMN push_to text;

-- A push's first sync: change rows for every entity it selects, for it alone (NULL: for every
-- subscription, as the triggers write them).
ALTER TABLE ngsild_change ADD COLUMN only_subscription text;
