from django.db import models
from django.db.models.functions import Now


class BenchJobRecord(models.Model):
    """One row per processed `bench.record` job; processed_at comes from the database clock,
    like pgqueuer.created, so the two can be subtracted."""

    job_id = models.BigIntegerField(db_index=True)
    seq = models.IntegerField()
    entrypoint = models.TextField()
    processed_at = models.DateTimeField(db_default=Now())
    release = models.TextField()

    class Meta:
        db_table = "bench_job_record"
