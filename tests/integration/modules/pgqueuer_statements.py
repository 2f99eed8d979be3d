"""Print, as JSON, the statements the installed PgQueuer renders with its own query builders: those its
worker process sends (``worker``) and some a producer or an operator's tool sends (``other``), each
cut to the 1024 bytes pg_stat_activity keeps by default. Run with an interpreter that has pgqueuer
(1.x or 0.x); the test classifies them with the collection's pgqueuer_postgres."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

try:  # PgQueuer 1.x
    from pgqueuer.adapters.persistence.qb import QueryQueueBuilder, QuerySchedulerBuilder
except ImportError:  # PgQueuer 0.x
    from pgqueuer.qb import QueryQueueBuilder, QuerySchedulerBuilder

TRACK_ACTIVITY_QUERY_SIZE = 1024


def call(builder, name, **kwargs):
    """The statement ``builder.name(**kwargs)`` renders, or None when this release has no such builder."""
    method = getattr(builder, name, None)
    if method is None:
        return None
    rendered = method(**kwargs)
    return getattr(rendered, "sql", rendered)


def dequeues(queue):
    if "batch_size" not in QueryQueueBuilder.build_dequeue_query.__code__.co_varnames:
        return {"dequeue": call(queue, "build_dequeue_query")}  # 0.x: one statement, bound at run time
    shapes = {}
    for limits, budget in (([0], None), ([2], None), ([0], 20), ([2], 20)):
        shapes["dequeue limits=%s budget=%s" % (limits, budget)] = call(
            QueryQueueBuilder(),
            "build_dequeue_query",
            batch_size=10,
            entrypoints=["app.task"],
            concurrency_limits=limits,
            queue_manager_id=uuid.uuid4(),
            global_concurrency_limit=budget,
            heartbeat_timeout=timedelta(seconds=30),
        )
    return shapes


def main() -> None:
    queue, schedules = QueryQueueBuilder(), QuerySchedulerBuilder()
    worker = dequeues(queue)
    worker.update(
        {
            "queued work": call(queue, "build_has_queued_work"),
            "eligible queued work": call(queue, "build_has_eligible_queued_work"),
            "next deferred eta": call(queue, "build_next_deferred_eta_query"),
            "heartbeat": call(queue, "build_update_heartbeat_query"),
            "job log": call(queue, "build_log_job_query"),
            "notify (0.x)": call(queue, "build_notify_query"),
            "fetch schedule": call(schedules, "build_fetch_schedule_query"),
            "schedule heartbeat": call(schedules, "build_update_schedule_heartbeat"),
            "schedule queued": call(schedules, "build_set_schedule_queued_query"),
        }
    )
    other = {
        "enqueue": call(queue, "build_enqueue_query"),
        "queue size": call(queue, "build_queue_size_query"),
        "delete from queue": call(queue, "build_delete_from_queue_query"),
        "fetch log": call(queue, "build_fetch_log_query"),
    }
    aggregate = queue.build_aggregate_log_data_to_statistics_query
    if "advisory_lock" in aggregate.__code__.co_varnames:  # 1.x: the worker's locked variant, the reader's
        worker["log aggregation"] = aggregate(advisory_lock=True)
        other["log aggregation for a statistics read"] = aggregate(advisory_lock=False)
    else:
        other["log aggregation for a statistics read"] = aggregate()

    def cut(statements):
        return {
            name: sql.encode()[:TRACK_ACTIVITY_QUERY_SIZE].decode("utf-8", "ignore")
            for name, sql in statements.items()
            if sql is not None
        }

    print(json.dumps({"worker": cut(worker), "other": cut(other)}))


if __name__ == "__main__":
    main()
