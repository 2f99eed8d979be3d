from typing import ClassVar

import django.db.models.functions.datetime
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies: ClassVar[list[tuple[str, str]]] = []

    operations: ClassVar[list[migrations.operations.base.Operation]] = [
        migrations.CreateModel(
            name="BenchJobRecord",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("job_id", models.BigIntegerField(db_index=True)),
                ("seq", models.IntegerField()),
                ("entrypoint", models.TextField()),
                ("processed_at", models.DateTimeField(db_default=django.db.models.functions.datetime.Now())),
                ("release", models.TextField()),
            ],
            options={"db_table": "bench_job_record"},
        ),
    ]
