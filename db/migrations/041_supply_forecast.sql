-- Issue 26: the supply forecast. A study's planning assumptions (per study and per study site), and the forecast
-- runs with the inputs and seed they ran on, so any run can be reproduced exactly (docs/supply.md).

CREATE TABLE supply_study_assumption (
    study_code         text PRIMARY KEY REFERENCES study(code),
    -- DLT probability per dose level, in the order of dose_level.ordinal.
    dlt_probabilities  double precision[] NOT NULL DEFAULT '{}'
                       CHECK (0 <= ALL (dlt_probabilities) AND 1 >= ALL (dlt_probabilities)),
    screen_failure     double precision NOT NULL DEFAULT 0.2 CHECK (screen_failure BETWEEN 0 AND 1),
    rate_shape         double precision CHECK (rate_shape > 0),
    max_cohorts        integer NOT NULL DEFAULT 6 CHECK (max_cohorts BETWEEN 1 AND 50),
    qc_lead_days       integer NOT NULL DEFAULT 21 CHECK (qc_lead_days BETWEEN 0 AND 365),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE supply_site_assumption (
    study_code          text NOT NULL,
    site_code           text NOT NULL,
    patients_per_month  double precision NOT NULL CHECK (patients_per_month >= 0),
    activation_on       date,
    PRIMARY KEY (study_code, site_code),
    FOREIGN KEY (study_code, site_code) REFERENCES study_site(study_code, site_code)
);

CREATE TABLE supply_forecast (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    requested_by  bigint NOT NULL REFERENCES app_user(id),
    requested_at  timestamptz NOT NULL DEFAULT now(),
    seed          numeric(20, 0) NOT NULL CHECK (seed >= 0 AND seed < 18446744073709551616),
    runs          integer NOT NULL CHECK (runs BETWEEN 1 AND 1000000),
    inputs        jsonb NOT NULL,
    status        text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed')),
    completed     integer NOT NULL DEFAULT 0 CHECK (completed BETWEEN 0 AND runs),
    results       jsonb,
    error         text,
    finished_at   timestamptz,
    CHECK ((status = 'done') = (results IS NOT NULL)),
    CHECK ((status = 'failed') = (error IS NOT NULL)),
    CHECK ((status = 'running') = (finished_at IS NULL))
);
CREATE INDEX supply_forecast_requested ON supply_forecast(requested_at DESC);

-- Runs are a record: the application may add and finish them, never delete them.
REVOKE DELETE, TRUNCATE ON supply_forecast FROM cryoledger_app;
