-- The part of PgQueuer 1.6.0's schema (`pgq install`, default names, durable) that
-- pgqueuer_probe and the stand-in worker touch: the status enum, the queue and log
-- tables, and the statement trigger that notifies 'ch_pgqueuer'.
CREATE TYPE pgqueuer_status AS ENUM (
    'queued', 'picked', 'successful', 'exception', 'canceled', 'deleted', 'failed'
);

CREATE TABLE pgqueuer (
    id BIGSERIAL PRIMARY KEY,
    priority INTEGER NOT NULL,
    queue_manager_id UUID,
    created TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    updated TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    heartbeat TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    execute_after TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    status pgqueuer_status NOT NULL,
    entrypoint TEXT NOT NULL,
    dedupe_key TEXT,
    payload BYTEA,
    headers JSONB,
    attempts INTEGER NOT NULL DEFAULT 0,
    slot BIGINT
);

CREATE TABLE pgqueuer_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    job_id BIGINT NOT NULL,
    status pgqueuer_status NOT NULL,
    priority INTEGER NOT NULL,
    entrypoint TEXT NOT NULL,
    traceback JSONB,
    aggregated BOOLEAN DEFAULT false
);

CREATE FUNCTION fn_pgqueuer_changed() RETURNS TRIGGER AS $$
DECLARE
    to_emit BOOLEAN := false;
BEGIN
    IF TG_OP = 'UPDATE' AND OLD IS DISTINCT FROM NEW THEN
        to_emit := true;
    ELSIF TG_OP IN ('DELETE', 'INSERT', 'TRUNCATE') THEN
        to_emit := true;
    END IF;
    IF to_emit THEN
        PERFORM pg_notify(
            'ch_pgqueuer',
            json_build_object(
                'channel', 'ch_pgqueuer',
                'operation', lower(TG_OP),
                'sent_at', NOW(),
                'table', TG_TABLE_NAME,
                'type', 'table_changed_event'
            )::text
        );
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        RETURN NEW;
    ELSIF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER tg_pgqueuer_changed
AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON pgqueuer
EXECUTE FUNCTION fn_pgqueuer_changed();
