#!/usr/bin/env bash
# Parse Server performance anchor: the real parse-server (package.json) on a private
# PostgreSQL 15, everything on 127.0.0.1. Starts what it needs, measures, stops what it started.
#
#   bash run-anchor.sh                 # N=1000 patients (3,000 reminders), defaults below
#   N=200 DURATION=10s bash run-anchor.sh
#
# Knobs (env): N, CONC (16), THREADS (2), DURATION (20s), WARMUP (5s), WORKERS (1 node
# process; 2 = node cluster), SCAN_TOTAL (10000 reminders for the second scan), SCAN_HOURS (24),
# PGPORT (55432), PARSE_PORT (1337), WORK (/tmp/parse-anchor), KEEP=1 (leave servers running).
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
N="${N:-1000}"
CONC="${CONC:-16}"
THREADS="${THREADS:-2}"
DURATION="${DURATION:-20s}"
WARMUP="${WARMUP:-5s}"
WORKERS="${WORKERS:-1}"
SCAN_TOTAL="${SCAN_TOTAL:-10000}"
SCAN_HOURS="${SCAN_HOURS:-24}"
PGPORT="${PGPORT:-55432}"
PARSE_PORT="${PARSE_PORT:-1337}"
WORK="${WORK:-/tmp/parse-anchor}"
PGBIN="${PGBIN:-/usr/lib/postgresql/15/bin}"
export PARSE_APP_ID="${PARSE_APP_ID:-adhere-anchor}"
export PARSE_MASTER_KEY="${PARSE_MASTER_KEY:-anchor-master-key}"
export PARSE_URL="http://127.0.0.1:${PARSE_PORT}/parse"
export PARSE_PORT WORKERS
export PARSE_DB="postgres://parse@127.0.0.1:${PGPORT}/parse"
export PARSE_SERVER_LOGS_FOLDER="$WORK/logs"
USERS_TSV="$WORK/users.tsv"
SUMMARY="$WORK/summary.txt"

mkdir -p "$WORK"
: > "$SUMMARY"
say() { echo "== $*" | tee -a "$SUMMARY"; }

STARTED_PG=0
PARSE_PID=""
cleanup() {
  set +e
  if [[ "${KEEP:-0}" == 1 ]]; then echo "KEEP=1: leaving parse-server (pid $PARSE_PID) and PostgreSQL running"; return; fi
  if [[ -n "$PARSE_PID" ]] && kill -0 "$PARSE_PID" 2>/dev/null; then
    kill -TERM "$PARSE_PID"; for _ in $(seq 50); do kill -0 "$PARSE_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$PARSE_PID" 2>/dev/null && kill -KILL "$PARSE_PID"
    echo "stopped parse-server (pid $PARSE_PID)"
  fi
  if [[ "$STARTED_PG" == 1 ]]; then as_pg "$PGBIN/pg_ctl" -D "$WORK/pg" -m fast stop >/dev/null && echo "stopped PostgreSQL on :$PGPORT"; fi
}
trap cleanup EXIT

# ---- PostgreSQL: our own cluster on 127.0.0.1:$PGPORT (initdb refuses root) ----------
PGUSER_OS="$(id -un)"
if [[ "$(id -u)" == 0 ]]; then
  PGUSER_OS=postgres
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
fi
as_pg() { if [[ "$(id -un)" == "$PGUSER_OS" ]]; then "$@"; else runuser -u "$PGUSER_OS" -- "$@"; fi; }
PSQL=("$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -v ON_ERROR_STOP=1 -qAt)

if "$PGBIN/pg_isready" -h 127.0.0.1 -p "$PGPORT" -q; then
  say "PostgreSQL already running on 127.0.0.1:$PGPORT (reused, not stopped at the end)"
else
  if [[ ! -f "$WORK/pg/PG_VERSION" ]]; then
    mkdir -p "$WORK/pg"; chown "$PGUSER_OS" "$WORK/pg" "$WORK"
    as_pg "$PGBIN/initdb" -D "$WORK/pg" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  chown "$PGUSER_OS" "$WORK"
  as_pg "$PGBIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg.log" -w \
    -o "-p $PGPORT -k $WORK -c listen_addresses=127.0.0.1" start >/dev/null
  STARTED_PG=1
  say "PostgreSQL started on 127.0.0.1:$PGPORT (data $WORK/pg)"
fi
"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS parse" -c "DROP ROLE IF EXISTS parse" \
  -c "CREATE ROLE parse LOGIN" -c "CREATE DATABASE parse OWNER parse" >/dev/null

# ---- node deps ---------------------------------------------------------------------------
cd "$DIR"
if [[ ! -d node_modules/parse-server ]]; then
  if [[ -f package-lock.json ]]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
fi
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }

# ---- parse-server ----------------------------------------------------------------------------
rm -rf "$WORK/logs"
node server.js > "$WORK/parse.log" 2>&1 &
PARSE_PID=$!
for i in $(seq 120); do
  curl -fsS "$PARSE_URL/health" >/dev/null 2>&1 && break
  kill -0 "$PARSE_PID" 2>/dev/null || { cat "$WORK/parse.log"; echo "parse-server died"; exit 1; }
  sleep 0.5
done
curl -fsS "$PARSE_URL/health" >/dev/null
say "parse-server pid $PARSE_PID up at $PARSE_URL (WORKERS=$WORKERS)"

NODE_V="$(node --version)"
PARSE_V="$(node -p 'require("parse-server/package.json").version')"
PG_V="$("${PSQL[@]}" -d parse -c 'SHOW server_version')"
PG_CONF="$("${PSQL[@]}" -d parse -c "SELECT string_agg(name||'='||setting, ' ') FROM pg_settings WHERE name IN ('shared_buffers','fsync','synchronous_commit','max_connections')")"
WRK_V="$(wrk -v 2>&1 | head -1 || true)"
say "versions: node $NODE_V, parse-server $PARSE_V, PostgreSQL $PG_V ($PG_CONF), $WRK_V"
say "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), load before: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- schema + seed ---------------------------------------------------------------------------
node anchor.js schema | tee -a "$SUMMARY"
node anchor.js seed "$N" "$USERS_TSV" | tee -a "$SUMMARY"
node anchor.js check "$USERS_TSV" | tee -a "$SUMMARY"
"${PSQL[@]}" -d parse -c 'VACUUM ANALYZE' >/dev/null

run_wrk() { # label script
  local label=$1 script=$2
  wrk -t"$THREADS" -c"$CONC" -d"$WARMUP" -s "$DIR/$script" "http://127.0.0.1:$PARSE_PORT" -- "$USERS_TSV" "$THREADS" >/dev/null
  say "$label: wrk -t$THREADS -c$CONC -d$DURATION --latency (after ${WARMUP} warm-up), load before $(cut -d' ' -f1-3 /proc/loadavg)"
  wrk -t"$THREADS" -c"$CONC" -d"$DURATION" --latency -s "$DIR/$script" "http://127.0.0.1:$PARSE_PORT" -- "$USERS_TSV" "$THREADS" \
    | tee "$WORK/wrk-$script.txt" | tee -a "$SUMMARY"
}
run_wrk "(a) POST /parse/classes/ConfirmationLog as the patient" post.lua
run_wrk "(b) GET /parse/classes/MedicationReminder?where={patient:pointer} as the patient" get.lua

# ---- (c) missed-dose scan ----------------------------------------------------------------
"${PSQL[@]}" -d parse -c 'VACUUM ANALYZE' >/dev/null
say "(c) missed-dose scan (Cloud Code function, master key), ${SCAN_HOURS} h window, at $((3 * N)) reminders"
node anchor.js scan "$SCAN_HOURS" 5 | tee -a "$SUMMARY"
say "(c) top-up to $SCAN_TOTAL reminders + ConfirmationLog history"
node anchor.js topup "$SCAN_TOTAL" "$USERS_TSV" | tee -a "$SUMMARY"
"${PSQL[@]}" -d parse -c 'VACUUM ANALYZE' >/dev/null
say "(c) missed-dose scan, ${SCAN_HOURS} h window, at $SCAN_TOTAL reminders"
node anchor.js scan "$SCAN_HOURS" 5 | tee -a "$SUMMARY"
say "(c) same scan, also writing one MissedDoseAlert per missed reminder (Parse.Object.saveAll)"
node anchor.js scan "$SCAN_HOURS" 1 createAlerts | tee -a "$SUMMARY"

say "rows at the end (exact count(*)): $(for t in _User _Session PatientProfile MedicationReminder ConfirmationLog MissedDoseAlert; do printf '%s=%s ' "$t" "$("${PSQL[@]}" -d parse -c "SELECT count(*) FROM \"$t\"")"; done)"
echo "summary written to $SUMMARY"
