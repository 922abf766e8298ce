#!/usr/bin/env bash
# Set up and run the whole test suite, on SQLite and on PostgreSQL.
#   scripts/test.sh              both databases (PostgreSQL on 127.0.0.1:5432, user postgres)
#   scripts/test.sh --sqlite     SQLite only
#   scripts/test.sh --postgres   PostgreSQL only
# Extra arguments after the option go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

engines=(sqlite postgres)
case "${1:-}" in
    --sqlite) engines=(sqlite); shift ;;
    --postgres) engines=(postgres); shift ;;
esac

bash scripts/setup.sh --test

PG_URL=${NEIQIN_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/neiqin}

ensure_postgres() {
    if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
        echo "[test] starting PostgreSQL"
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
        for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
    fi
}

export NEIQIN_HOME=${NEIQIN_TEST_HOME:-$(mktemp -d /tmp/neiqin-test-XXXXXX)}
status=0
for engine in "${engines[@]}"; do
    echo "[test] === suite on $engine ==="
    if [ "$engine" = postgres ]; then
        ensure_postgres
        NEIQIN_DATABASE_URL=$PG_URL .venv/bin/pytest -n 2 --dist loadgroup -q "$@" || status=1
    else
        env -u NEIQIN_DATABASE_URL .venv/bin/pytest -n 2 --dist loadgroup -q "$@" || status=1
    fi
done
exit $status
