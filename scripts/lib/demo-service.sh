# Sourced by scripts/api-check and scripts/browser-check: a fresh embedded database in a
# temporary folder with the demo company, and `postgate serve` on it as a process, both removed
# when the script exits.
#   demo_database [DEMO OPTIONS]   start, migrate and fill the database ($data/pg)
#   serve_demo                     start the service on a free port ($port) and wait until it is ready
# Needs $postgate (the executable) and $venv (a Python to probe /ready with).

data="$(mktemp -d)"
server=""
port=$((20000 + RANDOM % 20000))
cleanup() {
    [[ -n "$server" ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
    "$postgate" db stop --data "$data/pg" >/dev/null 2>&1 || true
    rm -rf "$data"
}
trap cleanup EXIT

demo_database() {
    "$postgate" db start --data "$data/pg" >/dev/null
    "$postgate" migrate --data "$data/pg" >/dev/null
    "$postgate" demo "$@" --data "$data/pg" >/dev/null 2>&1
}

# A token of ROLE named NAME, printed.
demo_token() { "$postgate" tokens add "$1" --role "$2" --data "$data/pg" 2>/dev/null | grep -o 'pgt_[A-Za-z0-9_-]*' | head -1; }

# Ready within a minute (a debug build on a loaded machine takes a while), or the script stops
# here with the service's log.
serve_demo() {
    "$postgate" serve --port "$port" --data "$data/pg" >"$data/serve.log" 2>&1 &
    server=$!
    for _ in $(seq 1 300); do
        if "$venv/bin/python" -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1])" "http://127.0.0.1:$port/ready" 2>/dev/null; then
            return 0
        fi
        kill -0 "$server" 2>/dev/null || break
        sleep 0.2
    done
    echo "postgate serve did not become ready on port $port; its log:" >&2
    cat "$data/serve.log" >&2
    exit 1
}
