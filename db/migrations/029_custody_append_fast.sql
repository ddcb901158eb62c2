-- Faster custody appends. What is hashed, and how, does not change; nor does the chain trigger (004),
-- the chain heads, or any immutability trigger.

-- 1. custody_event_digest_with (and custody_event_digest) were declared IMMUTABLE, but their body calls
--    STABLE functions (to_char, concat_ws, convert_to). PostgreSQL never inlines a SQL function whose body
--    is more volatile than its declaration, so every append ran it through the SQL-function executor, which
--    parses, analyses and plans the body afresh on each call: about 40 % of the chain trigger's time.
--    Declared STABLE, which is what they are, they are inlined into the trigger's cached plans.
ALTER FUNCTION custody_event_digest_with(custody_event, bigint, bytea) STABLE;
ALTER FUNCTION custody_event_digest(custody_event) STABLE;

-- 2. Every append updates its subject's chain head. With full pages, about half of those updates could not
--    stay on their page (HOT) and added an entry to the head's primary key. Leave room on each page.
--    (Applies to pages written from now on; existing full pages move their rows out as they are updated.)
ALTER TABLE custody_head SET (fillfactor = 50);
