-- Issue 26: a forecast run may also recommend a plan (campaigns and par levels, judged out of sample). The plan's
-- options are stored with the run, as its inputs and seed are, so a recommendation can be reproduced exactly.
CREATE TABLE supply_product_assumption (
    product_code        text PRIMARY KEY REFERENCES product(code),
    -- Days from a campaign's start (donor collection) to its lots' release.
    campaign_lead_days  integer NOT NULL DEFAULT 60 CHECK (campaign_lead_days BETWEEN 1 AND 730),
    lots_per_campaign   integer NOT NULL DEFAULT 2 CHECK (lots_per_campaign BETWEEN 1 AND 50),
    vials_per_lot       integer CHECK (vials_per_lot BETWEEN 1 AND 1000),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE supply_forecast
    ADD COLUMN plan_options   jsonb,
    ADD COLUMN recommendation jsonb,
    -- A finished run that was asked for a plan carries it; a run not asked for one never does.
    ADD CONSTRAINT supply_forecast_plan_done CHECK (recommendation IS NULL OR plan_options IS NOT NULL),
    ADD CONSTRAINT supply_forecast_plan_complete CHECK (status <> 'done' OR plan_options IS NULL OR recommendation IS NOT NULL);
