#!/usr/bin/env bash
# The seed runbook's "Production Rollout" (memcached -> Redis), as a person runs it by hand: the
# baseline the cutover benchmark (bench/cutover.py) compares the collection's rollout with.
#
#   bench/seed_runbook.sh PROJECT_DIR NEW_ENV NEW_COMPOSE
#
# PROJECT_DIR  the compose project directory (holds .env and docker-compose.yml)
# NEW_ENV      the Redis release's .env for this host
# NEW_COMPOSE  the Redis release's docker-compose.yml
#
# Step 1 (deploy config) copies the two files into place; steps 2-5 are the runbook's commands,
# verbatim, except two that only work at a terminal: `logs -f` becomes `logs --tail`, and `exec`
# gets -T (no TTY). The cache smoke must print 2, or the script fails, as the person would stop.
# Each step prints "seed: step N done +S.SS s" (seconds since start), so its timing can be read.
set -euo pipefail

if [ $# -ne 3 ]; then
  sed -n '2,14p' "$0" >&2
  exit 2
fi
project_dir=$1 new_env=$2 new_compose=$3
for file in "$new_env" "$new_compose"; do
  [ -f "$file" ] || { echo "seed: $file is not a file" >&2; exit 2; }
done
[ -f "$project_dir/docker-compose.yml" ] || { echo "seed: no docker-compose.yml in $project_dir" >&2; exit 2; }

start=$EPOCHREALTIME
step() { printf '\n== step %s\n' "$*"; }
done_step() { awk -v step="$1" -v now="$EPOCHREALTIME" -v start="$start" 'BEGIN { printf "seed: step %s done +%.2f s\n", step, now - start }'; }

cd "$project_dir"

step "1. Prepare deploy: the Redis release's .env and docker-compose.yml"
# cp writes into the existing files, so .env keeps its mode (0600) and owner.
cp "$new_env" .env
cp "$new_compose" docker-compose.yml
done_step 1

step "2. Stop worker before cutover"
docker compose stop bs-worker
done_step 2

step "3. Start/update Redis + app services"
docker compose up -d --remove-orphans redis bs-core bs-frontend
done_step 3

step "4. Start worker on Redis broker"
docker compose up -d bs-worker
done_step 4

step "5. Verify"
docker compose ps
docker compose logs --tail 20 bs-worker
smoke=$(docker compose exec -T bs-core python manage.py shell -c "from django.core.cache import cache; cache.set('redis_smoke', 1, 60); cache.incr('redis_smoke'); print(cache.get('redis_smoke'))")
printf '%s\n' "$smoke"
if [ "$(tail -n 1 <<<"$smoke")" != 2 ]; then
  echo "seed: the cache smoke printed '$smoke', expected 2" >&2
  exit 1
fi
done_step 5
