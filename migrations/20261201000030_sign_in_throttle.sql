-- Failed sign-ins (and wrong current passwords on a password change), counted per account and
-- per client address in the database, so that every server process sees the same counts.
-- `auth::rate_limit` decides from a row how long the next attempt must wait; rows are pruned a
-- day after their last failure.
CREATE TABLE sign_in_throttle (
    scope             text NOT NULL CHECK (scope IN ('account', 'address')),
    subject           text NOT NULL,
    failures          integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    window_started_at timestamptz NOT NULL,
    last_failure_at   timestamptz NOT NULL,
    PRIMARY KEY (scope, subject)
);
CREATE INDEX sign_in_throttle_last_failure ON sign_in_throttle (last_failure_at);
