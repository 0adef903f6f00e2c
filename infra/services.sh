#!/usr/bin/env bash
# Throwaway RabbitMQ 3.10, PostgreSQL 15, MariaDB 10.11, Azurite (blob), s3rver (S3) and the firebase-tools
# Storage emulator (GCS) for the Workers tests.
#
#   infra/services.sh start    install what is missing, start all three, write services.env
#   infra/services.sh stop     stop all three (safe to repeat, safe when nothing runs)
#   infra/services.sh status   say what runs, and on which port
#   infra/services.sh env      print services.env (source it: eval "$(infra/services.sh env)")
#
#   start and stop also take service names (rabbitmq postgres mariadb azurite s3rver gcs) to act on those only, and
#   infra/services.sh pause postgres / resume postgres   stop the server, keeping its data and port, and
#   start it again (the outage tests use this on a private cluster: WORKERS_RUN_DIR=<dir> start postgres).
#   infra/services.sh stop_app rabbitmq / start_app rabbitmq   stop RabbitMQ's application (connections are
#   closed, the port refuses them) and start it again, the node and its data staying (a broker restart).
#   infra/services.sh rabbitmqctl rabbitmq ARGS...   run rabbitmqctl against the node (tests set policies with it).
#
# Everything listens on 127.0.0.1 only, on ports picked free at start.
# State, data and logs live under $WORKERS_RUN_DIR (default <repo>/.run);
# npm-installed tools live under <repo>/.tools. See infra/README.md.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN_DIR="${WORKERS_RUN_DIR:-$REPO_ROOT/.run}"
mkdir -p "$RUN_DIR"
RUN_DIR="$(cd "$RUN_DIR" && pwd)"          # absolute, whatever the caller gave
TOOLS_DIR="$REPO_ROOT/.tools"
ENV_FILE="$RUN_DIR/services.env"

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
# Call RabbitMQ's real scripts, not the /usr/sbin wrappers: as root those su to
# the 'rabbitmq' user with HOME=/var/lib/rabbitmq, which would ignore our env.
RMQ_BIN="${RMQ_BIN:-/usr/lib/rabbitmq/bin}"
AZURITE_VERSION="3.35.0"
AZURITE_PREFIX="$TOOLS_DIR/azurite"
AZURITE_BIN="$AZURITE_PREFIX/node_modules/.bin/azurite-blob"
# Azurite's publicly documented well-known development account and key.
AZURITE_ACCOUNT="devstoreaccount1"
AZURITE_KEY="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

# s3rver: a small S3 emulator on disk; it checks signatures against its fixed development key pair.
S3RVER_VERSION="3.7.1"
S3RVER_PREFIX="$TOOLS_DIR/s3rver"
S3RVER_BIN="$S3RVER_PREFIX/node_modules/.bin/s3rver"
S3RVER_KEY="S3RVER"
S3RVER_BUCKET="workers-test"

# GCS: the Cloud Storage emulator of firebase-tools, started on its own by infra/gcs-emulator.js (no Java, no
# firebase.json). Buckets appear with their first object; bucket creation answers 501.
FIREBASE_TOOLS_VERSION="15.34.2"
FIREBASE_PREFIX="$TOOLS_DIR/firebase"
GCS_PROJECT="demo-workers"

RMQ_DIR="$RUN_DIR/rabbitmq"
PG_STATE="$RUN_DIR/postgres.state"        # holds PG_DIR (may live in /tmp) and PG_PORT
AZ_DIR="$RUN_DIR/azurite"
MDB_DIR="$RUN_DIR/mariadb"
S3_DIR="$RUN_DIR/s3rver"
GCS_DIR="$RUN_DIR/gcs"

START_TIMEOUT="${WORKERS_SERVICE_START_TIMEOUT:-90}"   # seconds per service

# ---------------------------------------------------------------- helpers

log()  { printf '%s\n' "$*"; }
warn() { printf '%s\n' "$*" >&2; }
now()  { date +%s.%N; }
since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.1f", e - s }'; }

# Print the last lines of each given log file to stderr.
show_logs() {
  local f
  for f in "$@"; do
    [[ -s "$f" ]] || continue
    warn "----- last lines of $f -----"
    tail -n 40 "$f" >&2 || true
  done
  warn "-----"
}

# Print N distinct free TCP ports on 127.0.0.1. They are taken below the
# kernel's ephemeral range (32768+) so an outgoing connection cannot grab one
# between this check and the service binding it.
free_ports() {
  python3 - "$1" <<'PY'
import random, socket, sys
want, found, held = int(sys.argv[1]), [], []
for port in random.sample(range(20000, 32000), 2000):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        s.close()
        continue
    held.append(s)
    found.append(port)
    if len(found) == want:
        break
print(" ".join(map(str, found)))
PY
}

port_answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# True if PID is alive and its command line contains PATTERN (guards against
# a recycled pid from an old state file).
pid_is() {
  local pid="$1" pattern="$2"
  local cmdline
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ "$cmdline" == *"$pattern"* ]]
}

# Wait up to $2 seconds for PID $1 to exit.
wait_gone() {
  local pid="$1" i
  for ((i = 0; i < $2 * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  return 1
}

# Stop one process we started: TERM, then KILL if it lingers.
kill_pid() {
  local pid="$1"
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  wait_gone "$pid" 15 || { kill -KILL "$pid" 2>/dev/null || true; wait_gone "$pid" 5 || true; }
}

# Run a command as the postgres user when we are root (initdb refuses root).
as_pg() {
  if [[ "$(id -u)" == 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# Read KEY=VALUE lines (written by us) into the current shell.
# shellcheck disable=SC1090
load_state() { [[ ! -f "$1" ]] || . "$1"; }

# ---------------------------------------------------------------- install

# apt-get install PACKAGES without letting their services start: a policy-rc.d
# that exits 101 makes invoke-rc.d / deb-systemd-invoke skip the start, so no
# system rabbitmq (or its epmd on 4369) is left running. Log in $RUN_DIR/apt-NAME.log.
apt_install() {
  local name="$1" added_policy=0 rc=0
  shift
  [[ "$(id -u)" == 0 ]] || { warn "$name: not installed, and only root can apt-get install $*"; return 1; }
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    added_policy=1
  fi
  {
    apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
  } >"$RUN_DIR/apt-$name.log" 2>&1 || rc=$?
  [[ "$added_policy" == 0 ]] || rm -f /usr/sbin/policy-rc.d
  if [[ "$rc" != 0 ]]; then
    warn "$name: apt-get install $* failed (exit $rc)"
    show_logs "$RUN_DIR/apt-$name.log"
    return 1
  fi
  # Belt and braces where systemd is PID 1 (not the case in CI).
  if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
    systemctl disable --now rabbitmq-server.service epmd.socket epmd.service postgresql.service mariadb.service prometheus.service >/dev/null 2>&1 || true
  fi
}

install_rabbitmq() {
  [[ -x "$RMQ_BIN/rabbitmq-server" ]] && return 0
  local t0
  t0="$(now)"
  log "rabbitmq: installing rabbitmq-server from apt ..."
  apt_install rabbitmq rabbitmq-server || return 1
  log "rabbitmq: installed in $(since "$t0")s"
}

install_azurite() {
  if [[ -x "$AZURITE_BIN" ]] &&
    [[ "$(node -p "require('$AZURITE_PREFIX/node_modules/azurite/package.json').version" 2>/dev/null)" == "$AZURITE_VERSION" ]]; then
    return 0
  fi
  local t0
  t0="$(now)"
  log "azurite: installing azurite@$AZURITE_VERSION from npm into $AZURITE_PREFIX ..."
  mkdir -p "$AZURITE_PREFIX"
  if ! npm install --prefix "$AZURITE_PREFIX" --no-audit --no-fund --loglevel=error \
    "azurite@$AZURITE_VERSION" >"$RUN_DIR/npm-azurite.log" 2>&1; then
    warn "azurite: npm install failed"
    show_logs "$RUN_DIR/npm-azurite.log"
    return 1
  fi
  log "azurite: installed in $(since "$t0")s"
}

install_s3rver() {
  if [[ -x "$S3RVER_BIN" ]] &&
    [[ "$(node -p "require('$S3RVER_PREFIX/node_modules/s3rver/package.json').version" 2>/dev/null)" == "$S3RVER_VERSION" ]]; then
    return 0
  fi
  local t0
  t0="$(now)"
  log "s3rver: installing s3rver@$S3RVER_VERSION from npm into $S3RVER_PREFIX ..."
  mkdir -p "$S3RVER_PREFIX"
  if ! npm install --prefix "$S3RVER_PREFIX" --no-audit --no-fund --loglevel=error \
    "s3rver@$S3RVER_VERSION" >"$RUN_DIR/npm-s3rver.log" 2>&1; then
    warn "s3rver: npm install failed"
    show_logs "$RUN_DIR/npm-s3rver.log"
    return 1
  fi
  log "s3rver: installed in $(since "$t0")s"
}

install_gcs() {
  if [[ "$(node -p "require('$FIREBASE_PREFIX/node_modules/firebase-tools/package.json').version" 2>/dev/null)" == "$FIREBASE_TOOLS_VERSION" ]]; then
    return 0
  fi
  local t0
  t0="$(now)"
  log "gcs: installing firebase-tools@$FIREBASE_TOOLS_VERSION from npm into $FIREBASE_PREFIX ..."
  mkdir -p "$FIREBASE_PREFIX"
  # --omit=optional: the emulator needs none of its optional native add-ons, and they are most of the install time.
  if ! npm install --prefix "$FIREBASE_PREFIX" --no-audit --no-fund --omit=optional --loglevel=error \
    "firebase-tools@$FIREBASE_TOOLS_VERSION" >"$RUN_DIR/npm-firebase.log" 2>&1; then
    warn "gcs: npm install failed"
    show_logs "$RUN_DIR/npm-firebase.log"
    return 1
  fi
  log "gcs: installed in $(since "$t0")s"
}

# CloudQuery's own JavaScript SDK and generated protocol client, which the CloudQuery protocol tests run
# (tests/Workers.CloudQuery.Tests): pinned by infra/cloudquery/package-lock.json, installed, never vendored.
CLOUDQUERY_JS_PREFIX="$TOOLS_DIR/cloudquery"
install_cloudquery_js() {
  local spec="$REPO_ROOT/infra/cloudquery"
  if [[ -d "$CLOUDQUERY_JS_PREFIX/node_modules/@cloudquery/plugin-sdk-javascript" ]] &&
    cmp -s "$spec/package-lock.json" "$CLOUDQUERY_JS_PREFIX/package-lock.json"; then
    return 0
  fi
  local t0
  t0="$(now)"
  log "cloudquery-js: installing CloudQuery's JavaScript SDK and protocol client from npm into $CLOUDQUERY_JS_PREFIX ..."
  mkdir -p "$CLOUDQUERY_JS_PREFIX"
  cp "$spec/package.json" "$spec/package-lock.json" "$CLOUDQUERY_JS_PREFIX/"
  if ! (cd "$CLOUDQUERY_JS_PREFIX" && npm ci --no-audit --no-fund --loglevel=error) >"$RUN_DIR/npm-cloudquery.log" 2>&1; then
    warn "cloudquery-js: npm ci failed"
    show_logs "$RUN_DIR/npm-cloudquery.log"
    return 1
  fi
  log "cloudquery-js: installed in $(since "$t0")s"
}

# docker-compose (Debian's 1.29) validates docker-compose.yml for the tests; it needs no engine for `config`.
install_compose() {
  command -v docker-compose >/dev/null && return 0
  local t0
  t0="$(now)"
  log "docker-compose: installing from apt (to validate docker-compose.yml) ..."
  apt_install docker-compose docker-compose || return 1
  log "docker-compose: installed in $(since "$t0")s"
}

# promtool (Debian's prometheus package; its service is never started) checks infra/prometheus/prometheus.yml.
install_promtool() {
  command -v promtool >/dev/null && return 0
  local t0
  t0="$(now)"
  log "promtool: installing prometheus from apt (to validate infra/prometheus/prometheus.yml) ..."
  apt_install prometheus prometheus || return 1
  log "promtool: installed in $(since "$t0")s"
}

install_postgres() {
  [[ -x "$PG_BIN/initdb" && -x "$PG_BIN/pg_ctl" ]] && return 0
  local t0
  t0="$(now)"
  log "postgres: installing postgresql-15 from apt ..."
  apt_install postgres postgresql-15 postgresql-client-15 || return 1
  log "postgres: installed in $(since "$t0")s"
}

install_mariadb() {
  command -v mariadbd >/dev/null && command -v mariadb-install-db >/dev/null && return 0
  local t0
  t0="$(now)"
  log "mariadb: installing mariadb-server from apt ..."
  apt_install mariadb mariadb-server mariadb-client || return 1
  log "mariadb: installed in $(since "$t0")s"
}

# ---------------------------------------------------------------- rabbitmq

# Export the environment both the server and rabbitmqctl need. Call in a subshell.
rabbit_env() {
  load_state "$RMQ_DIR/state"
  # Own HOME so server and CLI read the same $HOME/.erlang.cookie.
  export HOME="$RMQ_DIR/home"
  export RABBITMQ_NODENAME="$RMQ_NODE"
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT="$RMQ_PORT"
  export RABBITMQ_DIST_PORT="$RMQ_DIST_PORT"
  # Own epmd on its own port, so we never touch (or leave behind) one on 4369.
  export ERL_EPMD_PORT="$RMQ_EPMD_PORT"
  export ERL_EPMD_ADDRESS=127.0.0.1
  # Erlang distribution (server and CLI) on loopback only, not 0.0.0.0.
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  export RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  # Keep every file under the run dir and ignore /etc/rabbitmq.
  export RABBITMQ_CONF_ENV_FILE="$RMQ_DIR/rabbitmq-env.conf"
  export RABBITMQ_CONFIG_FILE="$RMQ_DIR/rabbitmq.conf"
  export RABBITMQ_ADVANCED_CONFIG_FILE="$RMQ_DIR/advanced.config"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$RMQ_DIR/enabled_plugins"
  export RABBITMQ_MNESIA_BASE="$RMQ_DIR/mnesia"
  export RABBITMQ_LOG_BASE="$RMQ_DIR/log"
  export RABBITMQ_PID_FILE="$RMQ_DIR/rabbitmq.pid"
}

rabbit_running() {
  [[ -f "$RMQ_DIR/state" && -f "$RMQ_DIR/rabbitmq.pid" ]] || return 1
  pid_is "$(cat "$RMQ_DIR/rabbitmq.pid" 2>/dev/null)" beam
}

rabbit_start() {
  if rabbit_running; then
    load_state "$RMQ_DIR/state"
    log "rabbitmq: already running on 127.0.0.1:$RMQ_PORT (node $RMQ_NODE)"
    RMQ_LAUNCH_T0=""
    return 0
  fi
  rabbit_stop >/dev/null 2>&1 || true
  rm -rf "$RMQ_DIR"
  mkdir -p "$RMQ_DIR/home" "$RMQ_DIR/log" "$RMQ_DIR/mnesia"

  local ports
  read -r -a ports <<<"$(free_ports 4)"
  cat >"$RMQ_DIR/state" <<EOF
RMQ_PORT=${ports[0]}
RMQ_DIST_PORT=${ports[1]}
RMQ_EPMD_PORT=${ports[2]}
RMQ_PROMETHEUS_PORT=${ports[3]}
RMQ_NODE=workers-test-${ports[0]}@localhost
EOF
  load_state "$RMQ_DIR/state"

  # Erlang cookie: must be private (0400) or Erlang refuses it.
  python3 -c 'import secrets; print(secrets.token_hex(20).upper(), end="")' >"$RMQ_DIR/home/.erlang.cookie"
  chmod 400 "$RMQ_DIR/home/.erlang.cookie"
  : >"$RMQ_DIR/rabbitmq-env.conf"
  # Only the Prometheus endpoint (no management UI): the dashboard's queue metrics are checked against it.
  echo '[rabbitmq_prometheus].' >"$RMQ_DIR/enabled_plugins"
  cat >"$RMQ_DIR/rabbitmq.conf" <<EOF
loopback_users.guest = true
prometheus.tcp.ip = 127.0.0.1
prometheus.tcp.port = $RMQ_PROMETHEUS_PORT
log.file.level = info
log.console = false
disk_free_limit.absolute = 50MB
EOF

  RMQ_LAUNCH_T0="$(now)"
  (
    rabbit_env
    cd "$RMQ_DIR"
    exec setsid "$RMQ_BIN/rabbitmq-server" </dev/null >"$RMQ_DIR/log/stdout.log" 2>&1
  ) &
  echo "$!" >"$RMQ_DIR/launcher.pid"
}

# Second half of the start: the node boots while postgres and azurite start.
rabbit_wait() {
  [[ -n "${RMQ_LAUNCH_T0:-}" ]] || return 0
  load_state "$RMQ_DIR/state"
  local logs=("$RMQ_DIR/log/wait.log" "$RMQ_DIR/log/stdout.log" "$RMQ_DIR/log/$RMQ_NODE.log")
  local launcher deadline
  launcher="$(cat "$RMQ_DIR/launcher.pid")"
  deadline=$((SECONDS + START_TIMEOUT))
  # The node writes its pid file early in boot; until then, notice a crash
  # ourselves instead of letting rabbitmqctl wait out the full timeout.
  until [[ -s "$RMQ_DIR/rabbitmq.pid" ]]; do
    if ! kill -0 "$launcher" 2>/dev/null; then
      warn "rabbitmq: exited during start"
      show_logs "${logs[@]}"
      return 1
    fi
    if ((SECONDS >= deadline)); then
      warn "rabbitmq: no pid file after ${START_TIMEOUT}s"
      show_logs "${logs[@]}"
      return 1
    fi
    sleep 0.2
  done
  # 'wait PIDFILE' returns once the rabbit application is fully booted, and
  # fails if the node process dies meanwhile.
  local left=$((deadline - SECONDS > 5 ? deadline - SECONDS : 5))
  if ! (rabbit_env && timeout "$left" \
    "$RMQ_BIN/rabbitmqctl" -q -n "$RMQ_NODE" wait --timeout "$left" "$RABBITMQ_PID_FILE") \
    >"$RMQ_DIR/log/wait.log" 2>&1; then
    warn "rabbitmq: did not finish booting within ${START_TIMEOUT}s"
    show_logs "${logs[@]}"
    return 1
  fi
  if ! port_answers "$RMQ_PORT"; then
    warn "rabbitmq: node is up but port $RMQ_PORT does not answer"
    show_logs "${logs[@]}"
    return 1
  fi
  log "rabbitmq: started on 127.0.0.1:$RMQ_PORT (node $RMQ_NODE) in $(since "$RMQ_LAUNCH_T0")s"
}

rabbit_stop() {
  [[ -f "$RMQ_DIR/state" ]] || return 0
  load_state "$RMQ_DIR/state"
  local pid=""
  [[ -f "$RMQ_DIR/rabbitmq.pid" ]] && pid="$(cat "$RMQ_DIR/rabbitmq.pid" 2>/dev/null || true)"
  if pid_is "$pid" beam; then
    # 'stop PIDFILE' returns once the OS process has exited.
    (rabbit_env && timeout 60 "$RMQ_BIN/rabbitmqctl" -q -n "$RMQ_NODE" stop "$RABBITMQ_PID_FILE") \
      >>"$RMQ_DIR/log/stop.log" 2>&1 || true
    pid_is "$pid" beam && kill_pid "$pid"
    log "rabbitmq: stopped"
  fi
  # The launcher shell (rabbitmq-server script) goes away with the node; make sure.
  if [[ -f "$RMQ_DIR/launcher.pid" ]]; then
    local lpid
    lpid="$(cat "$RMQ_DIR/launcher.pid")"
    pid_is "$lpid" rabbitmq && kill_pid "$lpid"
    rm -f "$RMQ_DIR/launcher.pid"
  fi
  # Our private epmd (started by Erlang on RMQ_EPMD_PORT) outlives the node.
  if [[ -n "${RMQ_EPMD_PORT:-}" ]] && port_answers "$RMQ_EPMD_PORT"; then
    epmd -port "$RMQ_EPMD_PORT" -kill >/dev/null 2>&1 || true
  fi
  rm -f "$RMQ_DIR/rabbitmq.pid"
}

# ---------------------------------------------------------------- postgres

pg_running() {
  [[ -f "$PG_STATE" ]] || return 1
  load_state "$PG_STATE"
  [[ -d "${PG_DIR:-}/data" ]] && as_pg "$PG_BIN/pg_ctl" status -D "$PG_DIR/data" >/dev/null 2>&1
}

pg_start() {
  if pg_running; then
    log "postgres: already running on 127.0.0.1:$PG_PORT"
    return 0
  fi
  pg_stop >/dev/null 2>&1 || true
  local t0
  t0="$(now)"

  # The postgres user must be able to reach the run dir. If a parent directory
  # is closed to it (e.g. a clone under /root), or the socket path would be too
  # long for a unix socket, use a private directory under /tmp instead.
  PG_DIR="$RUN_DIR/postgres"
  chmod 755 "$RUN_DIR"
  rm -rf "$PG_DIR"
  mkdir -p "$PG_DIR"
  [[ "$(id -u)" == 0 ]] && chown postgres:postgres "$PG_DIR"
  chmod 755 "$PG_DIR"
  if ! as_pg test -w "$PG_DIR" || ((${#PG_DIR} > 80)); then
    rm -rf "$PG_DIR"
    PG_DIR="$(mktemp -d /tmp/workers-pg.XXXXXX)"
    [[ "$(id -u)" == 0 ]] && chown postgres:postgres "$PG_DIR"
    chmod 755 "$PG_DIR"
  fi
  as_pg mkdir -p "$PG_DIR/sock"
  PG_PORT="$(free_ports 1)"
  printf 'PG_DIR=%q\nPG_PORT=%q\n' "$PG_DIR" "$PG_PORT" >"$PG_STATE"

  local pwfile="$PG_DIR/pwfile"
  as_pg sh -c "umask 077; printf postgres > '$pwfile'"
  if ! as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-locale --no-sync \
    >"$RUN_DIR/postgres-initdb.log" 2>&1; then
    warn "postgres: initdb failed"
    show_logs "$RUN_DIR/postgres-initdb.log"
    return 1
  fi
  rm -f "$pwfile"
  # Throwaway cluster: durability off for speed.
  as_pg sh -c "cat >> '$PG_DIR/data/postgresql.conf'" <<EOF

# --- workers test settings ---
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_DIR/sock'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  if ! as_pg "$PG_BIN/pg_ctl" start -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -w -t "$START_TIMEOUT" \
    >"$RUN_DIR/postgres-pg_ctl.log" 2>&1 ||
    ! "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 30; then
    warn "postgres: did not start"
    show_logs "$RUN_DIR/postgres-pg_ctl.log" "$PG_DIR/postgres.log"
    return 1
  fi
  # Convenience link to the logs when the cluster had to live under /tmp.
  [[ "$PG_DIR" == "$RUN_DIR/postgres" ]] || ln -sfn "$PG_DIR" "$RUN_DIR/postgres"
  log "postgres: started on 127.0.0.1:$PG_PORT in $(since "$t0")s"
}

pg_stop() {
  [[ -f "$PG_STATE" ]] || return 0
  load_state "$PG_STATE"
  local data="${PG_DIR:-}/data" pid=""
  if [[ -d "$data" ]] && as_pg "$PG_BIN/pg_ctl" status -D "$data" >/dev/null 2>&1; then
    as_pg "$PG_BIN/pg_ctl" stop -D "$data" -m fast -w -t 60 >/dev/null 2>&1 ||
      as_pg "$PG_BIN/pg_ctl" stop -D "$data" -m immediate -w -t 30 >/dev/null 2>&1 || true
    log "postgres: stopped"
  fi
  # A postmaster pg_ctl gave up on (failed start) may still be around.
  [[ -f "$data/postmaster.pid" ]] && pid="$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)"
  if pid_is "$pid" postgres; then
    kill_pid "$pid"
    log "postgres: killed leftover postmaster $pid"
  fi
  # A cluster that lived under /tmp is removed with its state; one under the
  # run dir is kept (with its log) until the next start.
  if [[ -n "${PG_DIR:-}" && "$PG_DIR" == /tmp/workers-pg.* ]]; then
    rm -rf "$PG_DIR"
    rm -f "$RUN_DIR/postgres"
  fi
  rm -f "$PG_STATE"
}

# ---------------------------------------------------------------- azurite

az_running() {
  [[ -f "$AZ_DIR/state" ]] || return 1
  load_state "$AZ_DIR/state"
  pid_is "${AZ_PID:-}" azurite
}

az_start() {
  if az_running; then
    log "azurite: already running on 127.0.0.1:$AZ_PORT"
    return 0
  fi
  az_stop >/dev/null 2>&1 || true
  local t0
  t0="$(now)"
  rm -rf "$AZ_DIR"
  mkdir -p "$AZ_DIR/data"
  AZ_PORT="$(free_ports 1)"
  setsid "$AZURITE_BIN" --blobHost 127.0.0.1 --blobPort "$AZ_PORT" --location "$AZ_DIR/data" \
    --skipApiVersionCheck --loose --silent </dev/null >"$AZ_DIR/azurite.log" 2>&1 &
  AZ_PID=$!
  printf 'AZ_PORT=%q\nAZ_PID=%q\n' "$AZ_PORT" "$AZ_PID" >"$AZ_DIR/state"
  local i
  for ((i = 0; i < START_TIMEOUT * 10; i++)); do
    if ! kill -0 "$AZ_PID" 2>/dev/null; then
      warn "azurite: exited during start"
      show_logs "$AZ_DIR/azurite.log"
      return 1
    fi
    # Any HTTP answer (even 400/403) means the blob service is listening.
    if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$AZ_PORT/$AZURITE_ACCOUNT?comp=list"; then
      log "azurite: started on 127.0.0.1:$AZ_PORT in $(since "$t0")s"
      return 0
    fi
    sleep 0.1
  done
  warn "azurite: port $AZ_PORT did not answer within ${START_TIMEOUT}s"
  show_logs "$AZ_DIR/azurite.log"
  return 1
}

az_stop() {
  [[ -f "$AZ_DIR/state" ]] || return 0
  load_state "$AZ_DIR/state"
  if pid_is "${AZ_PID:-}" azurite; then
    kill_pid "$AZ_PID"
    log "azurite: stopped"
  fi
  rm -f "$AZ_DIR/state"
}

# ---------------------------------------------------------------- mariadb

# MariaDB as the MySQL destination's real server: a private data directory, root with a password over TCP on
# loopback, no binary log. Throwaway: durability is relaxed like the PostgreSQL cluster's.
mdb_running() {
  [[ -f "$MDB_DIR/state" ]] || return 1
  load_state "$MDB_DIR/state"
  pid_is "$(cat "$MDB_DIR/mariadbd.pid" 2>/dev/null)" mariadbd
}

mdb_start() {
  if mdb_running; then
    log "mariadb: already running on 127.0.0.1:$MDB_PORT"
    return 0
  fi
  mdb_stop >/dev/null 2>&1 || true
  local t0
  t0="$(now)"
  rm -rf "$MDB_DIR"
  mkdir -p "$MDB_DIR/data"
  MDB_PORT="$(free_ports 1)"
  printf 'MDB_PORT=%q\n' "$MDB_PORT" >"$MDB_DIR/state"
  if ! mariadb-install-db --no-defaults --datadir="$MDB_DIR/data" --user=root \
    --auth-root-authentication-method=normal --skip-test-db >"$MDB_DIR/install-db.log" 2>&1; then
    warn "mariadb: mariadb-install-db failed"
    show_logs "$MDB_DIR/install-db.log"
    return 1
  fi
  setsid mariadbd --no-defaults --datadir="$MDB_DIR/data" --user=root --port="$MDB_PORT" \
    --bind-address=127.0.0.1 --socket="$MDB_DIR/s.sock" --pid-file="$MDB_DIR/mariadbd.pid" \
    --skip-log-bin --innodb-buffer-pool-size=128M --innodb-flush-log-at-trx-commit=2 \
    --max-connections=300 --local-infile=1 --skip-name-resolve --log-error="$MDB_DIR/err.log" </dev/null >/dev/null 2>&1 &
  local i
  for ((i = 0; i < START_TIMEOUT * 10; i++)); do
    if mariadb-admin --no-defaults --socket="$MDB_DIR/s.sock" -uroot ping >/dev/null 2>&1; then
      if ! mariadb --no-defaults --socket="$MDB_DIR/s.sock" -uroot -e \
        "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'; ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY 'mariadb'; GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION; CREATE DATABASE workers;" \
        >"$MDB_DIR/setup.log" 2>&1; then
        warn "mariadb: setting up the test user failed"
        show_logs "$MDB_DIR/setup.log" "$MDB_DIR/err.log"
        return 1
      fi
      log "mariadb: started on 127.0.0.1:$MDB_PORT in $(since "$t0")s"
      return 0
    fi
    sleep 0.1
  done
  warn "mariadb: did not answer within ${START_TIMEOUT}s"
  show_logs "$MDB_DIR/err.log"
  return 1
}

mdb_stop() {
  [[ -f "$MDB_DIR/state" ]] || return 0
  local pid
  pid="$(cat "$MDB_DIR/mariadbd.pid" 2>/dev/null || true)"
  if pid_is "$pid" mariadbd; then
    kill_pid "$pid"
    log "mariadb: stopped"
  fi
  rm -f "$MDB_DIR/state"
}

# ---------------------------------------------------------------- s3rver

s3_running() {
  [[ -f "$S3_DIR/state" ]] || return 1
  load_state "$S3_DIR/state"
  pid_is "${S3_PID:-}" s3rver
}

s3_start() {
  if s3_running; then
    log "s3rver: already running on 127.0.0.1:$S3_PORT"
    return 0
  fi
  s3_stop >/dev/null 2>&1 || true
  local t0
  t0="$(now)"
  rm -rf "$S3_DIR"
  mkdir -p "$S3_DIR/data"
  S3_PORT="$(free_ports 1)"
  # Path-style only (no vhost buckets); one bucket made at start for tests that need a fixed name.
  setsid "$S3RVER_BIN" -d "$S3_DIR/data" -a 127.0.0.1 -p "$S3_PORT" --no-vhost-buckets --silent \
    --configure-bucket "$S3RVER_BUCKET" </dev/null >"$S3_DIR/s3rver.log" 2>&1 &
  S3_PID=$!
  printf 'S3_PORT=%q\nS3_PID=%q\n' "$S3_PORT" "$S3_PID" >"$S3_DIR/state"
  local i
  for ((i = 0; i < START_TIMEOUT * 10; i++)); do
    if ! kill -0 "$S3_PID" 2>/dev/null; then
      warn "s3rver: exited during start"
      show_logs "$S3_DIR/s3rver.log"
      return 1
    fi
    if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$S3_PORT/"; then
      log "s3rver: started on 127.0.0.1:$S3_PORT in $(since "$t0")s"
      return 0
    fi
    sleep 0.1
  done
  warn "s3rver: port $S3_PORT did not answer within ${START_TIMEOUT}s"
  show_logs "$S3_DIR/s3rver.log"
  return 1
}

s3_stop() {
  [[ -f "$S3_DIR/state" ]] || return 0
  load_state "$S3_DIR/state"
  if pid_is "${S3_PID:-}" s3rver; then
    kill_pid "$S3_PID"
    log "s3rver: stopped"
  fi
  rm -f "$S3_DIR/state"
}

# ---------------------------------------------------------------- gcs

gcs_running() {
  [[ -f "$GCS_DIR/state" ]] || return 1
  load_state "$GCS_DIR/state"
  pid_is "${GCS_PID:-}" gcs-emulator.js
}

gcs_start() {
  if gcs_running; then
    log "gcs: already running on 127.0.0.1:$GCS_PORT"
    return 0
  fi
  gcs_stop >/dev/null 2>&1 || true
  local t0
  t0="$(now)"
  rm -rf "$GCS_DIR"
  mkdir -p "$GCS_DIR/tmp"
  GCS_PORT="$(free_ports 1)"
  # TMPDIR: the emulator keeps its blobs under the system temp directory, which other runs share.
  TMPDIR="$GCS_DIR/tmp" setsid node "$REPO_ROOT/infra/gcs-emulator.js" "$FIREBASE_PREFIX" "$GCS_PORT" "$GCS_PROJECT" \
    </dev/null >"$GCS_DIR/gcs.log" 2>&1 &
  GCS_PID=$!
  printf 'GCS_PORT=%q\nGCS_PID=%q\n' "$GCS_PORT" "$GCS_PID" >"$GCS_DIR/state"
  local i
  for ((i = 0; i < START_TIMEOUT * 10; i++)); do
    if ! kill -0 "$GCS_PID" 2>/dev/null; then
      warn "gcs: exited during start"
      show_logs "$GCS_DIR/gcs.log"
      return 1
    fi
    if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$GCS_PORT/storage/v1/b/probe/o"; then
      log "gcs: started on 127.0.0.1:$GCS_PORT in $(since "$t0")s"
      return 0
    fi
    sleep 0.1
  done
  warn "gcs: port $GCS_PORT did not answer within ${START_TIMEOUT}s"
  show_logs "$GCS_DIR/gcs.log"
  return 1
}

gcs_stop() {
  [[ -f "$GCS_DIR/state" ]] || return 0
  load_state "$GCS_DIR/state"
  if pid_is "${GCS_PID:-}" gcs-emulator.js; then
    kill_pid "$GCS_PID"
    log "gcs: stopped"
  fi
  rm -f "$GCS_DIR/state"
}

# ---------------------------------------------------------------- commands

write_env() {
  load_state "$RMQ_DIR/state"
  load_state "$PG_STATE"
  load_state "$AZ_DIR/state"
  load_state "$MDB_DIR/state"
  load_state "$S3_DIR/state"
  load_state "$GCS_DIR/state"
  local tmp="$ENV_FILE.tmp"
  {
    echo "# Written by infra/services.sh start; source it to reach the test services."
    [[ -z "${RMQ_PORT:-}" ]] ||
      printf "export WORKERS_TEST_RABBITMQ_URL='amqp://guest:guest@127.0.0.1:%s/'\n" "$RMQ_PORT"
    [[ -z "${RMQ_PROMETHEUS_PORT:-}" ]] ||
      printf "export WORKERS_TEST_RABBITMQ_PROMETHEUS_URL='http://127.0.0.1:%s'\n" "$RMQ_PROMETHEUS_PORT"
    [[ -z "${PG_PORT:-}" ]] ||
      printf "export WORKERS_TEST_PG_CONNECTION_STRING='Host=127.0.0.1;Port=%s;Username=postgres;Password=postgres;Database=postgres'\n" "$PG_PORT"
    [[ -z "${MDB_PORT:-}" ]] ||
      printf "export WORKERS_TEST_MYSQL_CONNECTION_STRING='Server=127.0.0.1;Port=%s;User ID=root;Password=mariadb;Database=workers'\n" "$MDB_PORT"
    [[ -z "${AZ_PORT:-}" ]] ||
      printf "export WORKERS_TEST_BLOB_CONNECTION_STRING='DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;BlobEndpoint=http://127.0.0.1:%s/%s;'\n" \
        "$AZURITE_ACCOUNT" "$AZURITE_KEY" "$AZ_PORT" "$AZURITE_ACCOUNT"
    [[ -z "${S3_PORT:-}" ]] || {
      printf "export WORKERS_TEST_S3_ENDPOINT='http://127.0.0.1:%s'\n" "$S3_PORT"
      printf "export WORKERS_TEST_S3_ACCESS_KEY_ID='%s'\nexport WORKERS_TEST_S3_SECRET_ACCESS_KEY='%s'\n" "$S3RVER_KEY" "$S3RVER_KEY"
      printf "export WORKERS_TEST_S3_BUCKET='%s'\n" "$S3RVER_BUCKET"
    }
    [[ -z "${GCS_PORT:-}" ]] ||
      printf "export WORKERS_TEST_GCS_EMULATOR_HOST='127.0.0.1:%s'\n" "$GCS_PORT"
  } >"$tmp"
  mv "$tmp" "$ENV_FILE"
}

# The services named on the command line (all three when none is).
wanted() {
  local want="$1"
  shift
  (($# == 0)) && return 0
  local name
  for name in "$@"; do
    case "$name" in
      rabbitmq | postgres | mariadb | azurite | s3rver | gcs) ;;
      *) warn "unknown service '$name' (rabbitmq, postgres, mariadb, azurite, s3rver, gcs)"; exit 2 ;;
    esac
    [[ "$name" == "$want" ]] && return 0
  done
  return 1
}

cmd_start() {
  local t0
  t0="$(now)"
  for tool in python3 curl node npm; do
    command -v "$tool" >/dev/null || { warn "missing required tool: $tool"; exit 1; }
  done
  if wanted rabbitmq "$@"; then install_rabbitmq || exit 1; fi
  if wanted azurite "$@"; then install_azurite || exit 1; fi
  if wanted s3rver "$@"; then install_s3rver || exit 1; fi
  if wanted gcs "$@"; then install_gcs || exit 1; fi
  if wanted postgres "$@"; then install_postgres || exit 1; fi
  if wanted mariadb "$@"; then install_mariadb || exit 1; fi
  if (($# == 0)); then install_compose || exit 1; install_promtool || exit 1; install_cloudquery_js || exit 1; fi
  rm -f "$ENV_FILE"

  # RabbitMQ boots slowest: launch it first, start the others meanwhile.
  if ! {
    { ! wanted rabbitmq "$@" || rabbit_start; } &&
      { ! wanted postgres "$@" || pg_start; } &&
      { ! wanted mariadb "$@" || mdb_start; } &&
      { ! wanted azurite "$@" || az_start; } &&
      { ! wanted s3rver "$@" || s3_start; } &&
      { ! wanted gcs "$@" || gcs_start; } &&
      { ! wanted rabbitmq "$@" || rabbit_wait; }
  }; then
    warn "services: start failed; stopping whatever was started"
    cmd_stop "$@" >&2 || true
    exit 1
  fi
  write_env
  log "services: ${*:-all} up in $(since "$t0")s; environment in $ENV_FILE"
}

cmd_stop() {
  # Each stop is independent: one failing must not leave the others running.
  if wanted azurite "$@"; then az_stop || true; fi
  if wanted mariadb "$@"; then mdb_stop || true; fi
  if wanted s3rver "$@"; then s3_stop || true; fi
  if wanted gcs "$@"; then gcs_stop || true; fi
  if wanted postgres "$@"; then pg_stop || true; fi
  if wanted rabbitmq "$@"; then rabbit_stop || true; fi
  if (($# == 0)); then rm -f "$ENV_FILE"; else write_env; fi
}

# Stop PostgreSQL but keep its cluster, port and state, so that resume brings the same server back.
cmd_pause() {
  [[ "${1:-}" == postgres ]] || { warn "usage: $0 pause postgres"; exit 2; }
  pg_running || { warn "postgres: not running"; exit 1; }
  as_pg "$PG_BIN/pg_ctl" stop -D "$PG_DIR/data" -m fast -w -t 60 >/dev/null
  log "postgres: paused (127.0.0.1:$PG_PORT refuses connections)"
}

cmd_resume() {
  [[ "${1:-}" == postgres ]] || { warn "usage: $0 resume postgres"; exit 2; }
  load_state "$PG_STATE"
  [[ -d "${PG_DIR:-}/data" ]] || { warn "postgres: no paused cluster in $RUN_DIR"; exit 1; }
  pg_running && { log "postgres: already running"; return 0; }
  as_pg "$PG_BIN/pg_ctl" start -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -w -t "$START_TIMEOUT" >/dev/null
  log "postgres: resumed on 127.0.0.1:$PG_PORT"
}

# RabbitMQ's application stopped and started again inside the running node: a broker restart, same port and data.
cmd_rabbit_app() {
  [[ "${2:-}" == rabbitmq ]] || { warn "usage: $0 $1 rabbitmq"; exit 2; }
  rabbit_running || { warn "rabbitmq: not running"; exit 1; }
  load_state "$RMQ_DIR/state"
  (rabbit_env && timeout 60 "$RMQ_BIN/rabbitmqctl" -q -n "$RMQ_NODE" "$1") >>"$RMQ_DIR/log/app.log" 2>&1 ||
    { warn "rabbitmq: $1 failed"; show_logs "$RMQ_DIR/log/app.log"; exit 1; }
  log "rabbitmq: $1 done (127.0.0.1:$RMQ_PORT)"
}

cmd_rabbitmqctl() {
  [[ "${2:-}" == rabbitmq ]] || { warn "usage: $0 rabbitmqctl rabbitmq ARGS..."; exit 2; }
  rabbit_running || { warn "rabbitmq: not running"; exit 1; }
  load_state "$RMQ_DIR/state"
  shift 2
  (rabbit_env && timeout 60 "$RMQ_BIN/rabbitmqctl" -q -n "$RMQ_NODE" "$@")
}

cmd_status() {
  local rc=0
  if rabbit_running; then
    load_state "$RMQ_DIR/state"
    log "rabbitmq: running on 127.0.0.1:$RMQ_PORT (node $RMQ_NODE)"
  else
    log "rabbitmq: not running"; rc=1
  fi
  if pg_running; then
    log "postgres: running on 127.0.0.1:$PG_PORT (data $PG_DIR/data)"
  else
    log "postgres: not running"; rc=1
  fi
  if mdb_running; then
    log "mariadb:  running on 127.0.0.1:$MDB_PORT (data $MDB_DIR/data)"
  else
    log "mariadb:  not running"; rc=1
  fi
  if az_running; then
    log "azurite:  running on 127.0.0.1:$AZ_PORT (pid $AZ_PID)"
  else
    log "azurite:  not running"; rc=1
  fi
  if s3_running; then
    log "s3rver:   running on 127.0.0.1:$S3_PORT (pid $S3_PID)"
  else
    log "s3rver:   not running"; rc=1
  fi
  if gcs_running; then
    log "gcs:      running on 127.0.0.1:$GCS_PORT (pid $GCS_PID)"
  else
    log "gcs:      not running"; rc=1
  fi
  return "$rc"
}

cmd_env() {
  [[ -f "$ENV_FILE" ]] || { warn "no $ENV_FILE: run '$0 start' first"; exit 1; }
  cat "$ENV_FILE"
}

case "${1:-}" in
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  pause) shift; cmd_pause "$@" ;;
  resume) shift; cmd_resume "$@" ;;
  stop_app | start_app) cmd_rabbit_app "$@" ;;
  rabbitmqctl) cmd_rabbitmqctl "$@" ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *)
    warn "usage: $0 {start|stop|status|env} [rabbitmq|postgres|mariadb|azurite|s3rver ...] | {pause|resume} postgres | {stop_app|start_app} rabbitmq"
    exit 2
    ;;
esac
