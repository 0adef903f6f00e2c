#!/bin/bash
# One end-to-end run by hand, for profiling: a `workers run` on a fresh schema, then `workers sync` of the test
# source into it; prints the wall clock, when the sync exited, the worker's CPU over the sync and its peak RSS.
#   bench/scripts/pg-e2e.sh ROWS MESSAGE_ROWS [perf]
# Environment: WARM=N writes a sync of N rows first (then empties the table: a warm worker); TABLE (default
# test_some_table); WARGS (extra `workers run` arguments); DLL (another workers.dll); POLL=1 also reports when the
# first row was in the table (polling costs CPU); KEEP=1 keeps the schema. `perf` records the worker with a perf map.
# Needs ./infra/services.sh start and a Release build of src/Workers.Cli.
set -e
REPO=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO"; . .run/services.env
ROWS=$1; MSG=$2; PERF=$3; TABLE=${TABLE:-test_some_table}
TAG=pgx_$RANDOM$RANDOM
PGPORT=$(echo "$WORKERS_TEST_PG_CONNECTION_STRING" | tr ';' '\n' | grep -i '^port=' | cut -d= -f2)
export PGPASSWORD=postgres
PSQL="psql -h 127.0.0.1 -p $PGPORT -U postgres -d postgres -qtA"
count() { $PSQL -c "SELECT count(*) FROM $TAG.$TABLE" 2>/dev/null || true; }
$PSQL -c "CREATE SCHEMA $TAG"
export WORKERS_BROKER_URL=$WORKERS_TEST_RABBITMQ_URL
export WORKERS_BENCH_PG="$WORKERS_TEST_PG_CONNECTION_STRING;Search Path=$TAG"
D=$(mktemp -d /tmp/workers-pg-e2e-XXXXXX)
cat > "$D/dest.yml" <<Y
kind: destination
spec:
  name: $TAG
  path: postgresql
  write_mode: overwrite
  spec:
    connection_string: \${WORKERS_BENCH_PG}
Y
source() { cat <<Y
kind: source
spec:
  name: bench
  path: test
  tables: [$TABLE]
  destinations: [$TAG]
  spec:
    num_rows: $1
    num_sub_rows: 0
    batch_size: $MSG
Y
}
source "$ROWS" > "$D/src.yml"
DLL=${DLL:-$REPO/src/Workers.Cli/bin/Release/net10.0/workers.dll}
if [ "$PERF" = perf ]; then export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0; fi
# shellcheck disable=SC2086
dotnet "$DLL" run "$D/dest.yml" $WARGS > "$D/worker.log" 2>&1 &
WPID=$!
unset DOTNET_PerfMapEnabled DOTNET_EnableWriteXorExecute
until grep -q consuming "$D/worker.log"; do sleep 0.1; done
if [ -n "$WARM" ]; then
  source "$WARM" > "$D/warm.yml"
  dotnet "$DLL" sync "$D/warm.yml" > "$D/warm.log" 2>&1
  until [ "$(count)" = "$WARM" ]; do sleep 0.05; done
  $PSQL -c "TRUNCATE $TAG.$TABLE"
fi
if [ "$PERF" = perf ]; then perf record -F 999 -g -p $WPID -o "$D/perf.data" 2>/dev/null & RECORDER=$!; fi
C0=$(awk '{print $14+$15}' /proc/$WPID/stat)
S=$(date +%s.%N)
dotnet "$DLL" sync "$D/src.yml" > "$D/sync.log" 2>&1 &
SPID=$!
FIRST=""
while kill -0 $SPID 2>/dev/null; do
  if [ -n "$POLL" ] && [ -z "$FIRST" ] && [ "$(count)" != "0" ] && [ -n "$(count)" ]; then FIRST=$(date +%s.%N); fi
  sleep 0.05
done
SY=$(date +%s.%N)
until [ "$(count)" = "$ROWS" ]; do sleep 0.05; done
E=$(date +%s.%N)
C1=$(awk '{print $14+$15}' /proc/$WPID/stat)
if [ "$PERF" = perf ]; then kill -INT $RECORDER; wait $RECORDER 2>/dev/null || true; fi
echo "wall $(echo "$E - $S" | bc) s; sync exited at $(echo "$SY - $S" | bc) s${FIRST:+; first row at $(echo "$FIRST - $S" | bc) s}; worker CPU $(echo "($C1 - $C0)/100" | bc -l | cut -c1-5) s; worker $(grep VmHWM /proc/$WPID/status | tr -s ' \t' ' ')"
kill $WPID; wait $WPID 2>/dev/null || true
[ -n "$KEEP" ] || $PSQL -c "DROP SCHEMA $TAG CASCADE" 2>/dev/null
echo "files (logs, perf.data): $D"
