-- One row the readiness check writes: ready means the database takes writes (not only reads),
-- so a full disk or a broken server shows as not ready.
CREATE TABLE readiness_probe (
    id  smallint PRIMARY KEY CHECK (id = 1),
    at  timestamptz NOT NULL
);
