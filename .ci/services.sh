#!/usr/bin/env bash
# Start the test services for the budget store contract suite: Redis and PostgreSQL on 127.0.0.1.
#
# Run as root (CI) or by hand:      bash .ci/services.sh
# Use the variables in the caller:  eval "$(bash .ci/services.sh)"   (or `source .ci/services.sh`)
#
# Idempotent and fast when everything is already installed and running: every step first checks
# whether it is needed. Progress goes to stderr; stdout carries only `export NAME=value` lines.
# Installs the `redis` and `psycopg` clients for the tests only: the package never imports them.
# No `set -e`/`set -u`: the script may be sourced, and every step reports its own failure.

REDIS_PORT="${ANTARIS_REDIS_PORT:-6379}"
PG_PORT="${ANTARIS_PG_PORT:-5432}"
PG_USER="antaris"
PG_PASSWORD="antaris"
PG_DB="antaris_test"
PYTHON_BIN="${PYTHON:-python}"

log() { echo "services.sh: $*" >&2; }

as_postgres() {
    # runuser keeps the environment small and needs no password; su is the fallback.
    if command -v runuser >/dev/null 2>&1; then runuser -u postgres -- "$@"; else su postgres -s /bin/sh -c "$*"; fi
}

pg_bindir() {
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/pg_ctl" ] && { echo "$dir"; return 0; }
    done
    return 1
}

install_packages() {
    local missing=()
    command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
    pg_bindir >/dev/null || missing+=(postgresql)
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" != "0" ]; then
        log "not root: cannot apt-get install ${missing[*]}; the tests that need them will skip"
        return 0
    fi
    log "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || true
    # Services the packages may start (or not, under policy-rc.d) are checked and started below.
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 || log "apt-get install failed"
}

start_redis() {
    command -v redis-server >/dev/null 2>&1 || { log "redis-server absent; Redis tests will skip"; return 0; }
    if redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then
        log "redis already running on 127.0.0.1:$REDIS_PORT"
        return 0
    fi
    # No persistence: the test database is thrown away; keeps start-up and tests fast.
    redis-server --daemonize yes --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
        --logfile /tmp/antaris-redis.log >&2 || { log "redis-server failed to start"; return 0; }
    for _ in $(seq 1 50); do
        redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && { log "redis started"; return 0; }
        sleep 0.1
    done
    log "redis did not answer PING; see /tmp/antaris-redis.log"
}

pg_ready() {
    local bindir; bindir="$(pg_bindir)" || return 1
    "$bindir/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" >/dev/null 2>&1
}

start_postgres() {
    local bindir; bindir="$(pg_bindir)" || { log "postgresql absent; PostgreSQL tests will skip"; return 0; }
    if ! pg_ready; then
        if [ "$(id -u)" != "0" ]; then log "not root: cannot start postgresql"; return 0; fi
        local version; version="$(basename "$(dirname "$bindir")")"
        if command -v pg_ctlcluster >/dev/null 2>&1 && pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -q "^$version main$"; then
            log "pg_ctlcluster $version main start"
            pg_ctlcluster "$version" main start >&2 || log "pg_ctlcluster failed; trying initdb + pg_ctl"
        fi
        if ! pg_ready; then
            # A private cluster under /tmp: works where the Debian cluster is missing or broken.
            local data=/tmp/antaris-pgdata
            mkdir -p "$data" && chown postgres:postgres "$data" && chmod 700 "$data"
            [ -f "$data/PG_VERSION" ] || as_postgres "$bindir/initdb" -D "$data" -A trust -U postgres >/dev/null
            as_postgres "$bindir/pg_ctl" -D "$data" -l /tmp/antaris-pg.log -w \
                -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k /tmp" start >&2 || log "pg_ctl start failed"
        fi
        for _ in $(seq 1 100); do pg_ready && break; sleep 0.1; done
    fi
    pg_ready || { log "postgresql is not accepting connections on 127.0.0.1:$PG_PORT"; return 0; }
    log "postgresql running on 127.0.0.1:$PG_PORT"
    # Role and database for the tests; the local socket is peer/trust for the postgres user.
    local socket_opts=()
    [ -S "/tmp/.s.PGSQL.$PG_PORT" ] && socket_opts=(-h /tmp)
    as_postgres psql "${socket_opts[@]}" -p "$PG_PORT" -qtAX -d postgres -c \
        "DO \$\$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$PG_USER') THEN
           CREATE ROLE $PG_USER LOGIN PASSWORD '$PG_PASSWORD'; END IF; END \$\$;" >&2 || log "creating role failed"
    if ! as_postgres psql "${socket_opts[@]}" -p "$PG_PORT" -qtAX -d postgres \
            -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'" | grep -q 1; then
        as_postgres psql "${socket_opts[@]}" -p "$PG_PORT" -qtAX -d postgres \
            -c "CREATE DATABASE $PG_DB OWNER $PG_USER" >&2 || log "creating database failed"
    fi
}

install_clients() {
    if "$PYTHON_BIN" -c "import redis, psycopg" >/dev/null 2>&1; then
        log "redis and psycopg clients already installed"
        return 0
    fi
    log "pip install redis psycopg[binary] (test-only clients)"
    "$PYTHON_BIN" -m pip install -q redis 'psycopg[binary]' >&2 || log "pip install of the test clients failed"
}

install_packages
start_redis
start_postgres
install_clients

export ANTARIS_TEST_REDIS_URL="${ANTARIS_TEST_REDIS_URL:-redis://127.0.0.1:$REDIS_PORT/15}"
export ANTARIS_TEST_POSTGRES_DSN="${ANTARIS_TEST_POSTGRES_DSN:-postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DB}"
echo "export ANTARIS_TEST_REDIS_URL=$ANTARIS_TEST_REDIS_URL"
echo "export ANTARIS_TEST_POSTGRES_DSN=$ANTARIS_TEST_POSTGRES_DSN"
# When sourced, `return` keeps the caller's shell alive; when executed, exit 0 (services are optional).
return 0 2>/dev/null || exit 0
