#!/usr/bin/env bash
# Interop checks of downloadview against real clients and infrastructure:
# curl, headless Chromium (Debian's package, driven by playwright-core) and
# nginx as a caching reverse proxy, all on 127.0.0.1, in front of the demo.
#
#   bash tests/interop/run.sh
#
# Installs what is missing (apt: curl nginx chromium; npm ci: playwright-core),
# builds and starts the demo and nginx on free loopback ports in a temporary
# folder, prints one line per check and "N passed, M failed", and exits
# non-zero on any failure. Everything it started is stopped on exit.
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$ROOT"

PASSED=0
FAILED=0
pass() { PASSED=$((PASSED + 1)); echo "PASS $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $1: $2"; }
exec 3>&1
note() { echo "     $1" >&3; }   # a measurement, printed under its check
# check NAME COMMAND...: the command prints nothing and succeeds, or prints why.
check() {
  local name="$1" why
  shift
  if why="$("$@" 2>&1)"; then pass "$name"; else fail "$name" "${why:-failed}"; fi
}

TMP="$(mktemp -d /tmp/downloadview-interop.XXXXXX)"
chmod 755 "$TMP"   # nginx workers run as nobody when started by root
DEMO_PID=""
NGINX_PID=""
cleanup() {
  [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
  [ -n "$DEMO_PID" ] && kill "$DEMO_PID" 2>/dev/null && wait "$DEMO_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- tools -------------------------------------------------------------------
need=()
command -v curl >/dev/null || need+=(curl)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v node >/dev/null || need+=(nodejs npm)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
echo "== npm ci (playwright-core)"
(cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || { echo "npm ci failed"; exit 1; }

echo "== cargo build --example demo"
cargo build --quiet --example demo || { echo "cannot build the demo"; exit 1; }
DEMO_BIN="$ROOT/target/debug/examples/demo"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { # URL: up to 20 s
  for _ in $(seq 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done
  return 1
}

DEMO_PORT="$(free_port)"
DEMO="http://127.0.0.1:$DEMO_PORT"
DEMO_ADDR="127.0.0.1:$DEMO_PORT" "$DEMO_BIN" >"$TMP/demo.log" 2>&1 &
DEMO_PID=$!
for _ in $(seq 200); do grep -q "serving on" "$TMP/demo.log" && break; sleep 0.1; done
grep -q "serving on http://127.0.0.1:$DEMO_PORT/" "$TMP/demo.log" || { echo "demo did not start:"; cat "$TMP/demo.log"; exit 1; }

NGINX_PORT="$(free_port)"
PROXY="http://127.0.0.1:$NGINX_PORT"
mkdir -p "$TMP/nginx"
sed -e "s#@PREFIX@#$TMP/nginx#g" -e "s#@LISTEN@#127.0.0.1:$NGINX_PORT#g" \
    -e "s#@UPSTREAM@#127.0.0.1:$DEMO_PORT#g" "$HERE/nginx.conf" >"$TMP/nginx/nginx.conf"
"$NGINX" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log" 2>>"$TMP/nginx/error.log" &
NGINX_PID=$!
wait_http "$PROXY/text/" || { echo "nginx did not start:"; cat "$TMP/nginx/error.log"; exit 1; }
echo "== demo on $DEMO, nginx on $PROXY"

# The reference bytes: byte i of /big/ and /stream/ is i % 251.
pattern() { python3 -c "import sys; n=int(sys.argv[1]); sys.stdout.buffer.write(bytes(i % 251 for i in range(n)))" "$1"; }
HELLO="$TMP/hello.txt"
printf 'Hello world!\n' >"$HELLO"
same() { cmp -s "$1" "$2" || echo "$(basename "$2"): $(stat -c %s "$2" 2>/dev/null || echo no) bytes, differs from the reference ($(stat -c %s "$1") bytes)"; }

# --- curl --------------------------------------------------------------------
curl_oj() { # PATH EXPECTED-NAME
  local dir
  dir="$(mktemp -d "$TMP/oj.XXXX")"
  (cd "$dir" && curl -sS -OJ "$DEMO$1") || return 1
  local saved
  saved="$(ls -A "$dir")"
  [ "$saved" = "$2" ] || { echo "saved as '$saved'"; return 1; }
  same "$HELLO" "$dir/$saved"
}
check "curl -OJ /text/ saves hello-world.txt" curl_oj /text/ hello-world.txt
# curl (7.88 here, and every release so far) ignores filename* and uses
# filename=: the ASCII fallback is what it saves. Browsers use filename*.
check "curl -OJ /unicode/ saves the ASCII fallback cafe_resume.txt (curl ignores filename*)" curl_oj /unicode/ cafe_resume.txt

BIG=$((16 * 1024 * 1024))
pattern "$BIG" >"$TMP/big.ref"
curl_resume() { # BASE-URL
  local out="$TMP/resume.$RANDOM.bin" code
  # An interrupted download: 1 s at 2 MiB/s of 16 MiB.
  curl -sS --limit-rate 2M --max-time 1 -o "$out" "$1/big/?size=$BIG" 2>/dev/null
  local got
  got="$(stat -c %s "$out" 2>/dev/null || echo 0)"
  { [ "$got" -gt 0 ] && [ "$got" -lt "$BIG" ]; } || { echo "the first transfer was not partial ($got bytes)"; return 1; }
  code="$(curl -sS -C - -o "$out" -w '%{http_code}' "$1/big/?size=$BIG")" || return 1
  [ "$code" = 206 ] || { echo "resumed with status $code"; return 1; }
  same "$TMP/big.ref" "$out"
}
check "curl -C - resumes an interrupted /big/ download byte-exactly (206)" curl_resume "$DEMO"

compressed() { # URL REFERENCE [EXPECTED-CONTENT-ENCODING]
  local out="$TMP/comp.$RANDOM" hdr="$TMP/hdr.$RANDOM"
  curl -sS --compressed -D "$hdr" -o "$out" "$1" || return 1
  same "$2" "$out" || return 1
  if [ -n "${3:-}" ]; then
    grep -qi "^content-encoding: $3" "$hdr" || { echo "not $3-coded: $(tr -d '\r' <"$hdr" | tr '\n' '|')"; return 1; }
  fi
}
MIB=$((1024 * 1024))
pattern "$MIB" >"$TMP/mib.ref"
curl -sS -o "$TMP/csv.ref" "$DEMO/csv/?rows=20000"
check "curl --compressed: /big/ intact" compressed "$DEMO/big/?size=$MIB" "$TMP/mib.ref"
check "curl --compressed: /stream/ intact" compressed "$DEMO/stream/?size=$MIB" "$TMP/mib.ref"
check "curl --compressed: /text/ intact" compressed "$DEMO/text/" "$HELLO"
check "curl --compressed through nginx gzip: /big/ gzip-coded and intact" compressed "$PROXY/big/?size=$MIB" "$TMP/mib.ref" gzip
check "curl --compressed through nginx gzip: /stream/ gzip-coded and intact" compressed "$PROXY/stream/?size=$MIB" "$TMP/mib.ref" gzip
check "curl --compressed through nginx gzip: /csv/ gzip-coded and intact" compressed "$PROXY/csv/?rows=20000" "$TMP/csv.ref" gzip

# --- nginx -------------------------------------------------------------------
LOG="$TMP/nginx/access.log"
log_count() { grep -cF "$1 " "$LOG"; }
log_line() { # PATH [COUNT-BEFORE]: the newest line for PATH, once there are more than COUNT-BEFORE
  for _ in $(seq 50); do [ "$(log_count "$1")" -gt "${2:-0}" ] && break; sleep 0.05; done
  grep -F "$1 " "$LOG" | tail -n 1
}

revalidate() {
  local body
  local n
  n="$(log_count /versioned/)"
  body="$(curl -sS "$PROXY/versioned/")"; [ "$body" = "Hello world!" ] || { echo "first body '$body'"; return 1; }
  local first
  first="$(log_line /versioned/ "$n")"
  [[ "$first" == *"upstream=200 cache=MISS"* ]] || { echo "first request: $first"; return 1; }
  sleep 2.5   # proxy_cache_valid 1s (whole seconds): now stale
  n="$(log_count /versioned/)"
  body="$(curl -sS "$PROXY/versioned/")"; [ "$body" = "Hello world!" ] || { echo "second body '$body'"; return 1; }
  local second
  second="$(log_line /versioned/ "$n")"
  [[ "$second" == *"status=200 upstream=304 cache=REVALIDATED"* ]] || { echo "second request: $second"; return 1; }
  note "$second"
}
check "nginx proxy_cache revalidates a stale /versioned/ upstream: conditional request answered 304" revalidate

proxy_range() { # PATH RANGE REF-FILE FIRST LAST EXPECTED-UPSTREAM
  local out="$TMP/range.$RANDOM" code n
  n="$(log_count "$1")"
  code="$(curl -sS -r "$2" -o "$out" -w '%{http_code}' "$PROXY$1")" || return 1
  [ "$code" = 206 ] || { echo "status $code"; return 1; }
  tail -c +"$(($4 + 1))" "$3" | head -c "$(($5 - $4 + 1))" >"$out.ref"
  same "$out.ref" "$out" || return 1
  local line
  line="$(log_line "$1" "$n")"
  [[ "$line" == *"upstream=$6 "* ]] || { echo "log: $line"; return 1; }
}
pattern $((2 * MIB)) >"$TMP/2mib.ref"
check "Range through nginx (uncached /big/): the demo's 206 passes, right bytes" \
  proxy_range "/big/?size=$((2 * MIB))" "1000000-1000099" "$TMP/2mib.ref" 1000000 1000099 206
check "Range through nginx (cached /versioned/): nginx slices its copy, right bytes" \
  proxy_range "/versioned/" "6-10" "$HELLO" 6 10 "-"
check "curl -C - through nginx resumes /big/ byte-exactly" curl_resume "$PROXY"

ttfb() { curl -sS -o /dev/null -w '%{time_starttransfer} %{time_total}' "$1"; }
progressive_big() {
  local t
  t="$(ttfb "$PROXY/stream/?size=$((256 * MIB))")" || return 1
  note "/stream/ 256 MiB through nginx (buffering on): first byte ${t% *} s, done ${t#* } s"
  python3 -c "import sys; f,t=map(float,sys.argv[1:]); sys.exit(0 if f < t/4 else 1)" $t ||
    { echo "first byte ${t% *} s of ${t#* } s"; return 1; }
}
check "nginx passes a big /stream/ on progressively (first byte long before the end)" progressive_big

DRIP="/stream/?size=1000&chunk=100&interval_ms=200"   # 10 chunks, one each 200 ms
progress() { python3 "$HERE/progress.py" "$1"; }     # head, first body byte, end (s), bytes
drip_unbuffered() {
  local t
  t="$(progress "$PROXY$DRIP&buffering=no")" || return 1
  read -r head first end bytes <<<"$t"
  note "slow drip through nginx, X-Accel-Buffering: no: head ${head} s, first body byte ${first} s, end ${end} s"
  [ "$bytes" = 1000 ] || { echo "$bytes bytes"; return 1; }
  python3 -c "import sys; h,f,e=map(float,sys.argv[1:]); sys.exit(0 if f < 0.8 and e > 1.7 else 1)" "$head" "$first" "$end" ||
    { echo "first body byte at ${first} s, end at ${end} s"; return 1; }
  local hdr
  hdr="$(curl -sS -D - -o /dev/null "$PROXY$DRIP&buffering=no" | tr -d '\r')"
  ! grep -qi '^x-accel-buffering' <<<"$hdr" || { echo "nginx forwarded X-Accel-Buffering"; return 1; }
  local direct
  direct="$(curl -sS -D - -o /dev/null "$DEMO$DRIP&buffering=no" | grep -i '^x-accel-buffering' | tr -d '\r')"
  [ "$direct" = "x-accel-buffering: no" ] || { echo "the demo sent '$direct'"; return 1; }
  t="$(progress "$PROXY$DRIP")"
  read -r head first end bytes <<<"$t"
  note "slow drip through nginx, buffering on (default): head ${head} s, first body byte ${first} s, end ${end} s"
}
check "buffering = false: the demo sends X-Accel-Buffering: no, nginx obeys it (not forwarded), a slow stream arrives chunk by chunk" drip_unbuffered

# What buffering changes for a client that does not keep up: buffered, nginx
# drains the upstream into its temp files (the producer runs at full speed);
# with X-Accel-Buffering: no it reads no more than the client takes, so
# backpressure reaches downloadview's producer.
spooled() { # URL: bytes nginx spooled to proxy_temp while the client stalled
  python3 "$HERE/progress.py" "$1" 2 >/dev/null &
  local client=$!
  sleep 1.5
  # nginx unlinks its temp files at once: sum the files its workers hold open.
  local total=0 w fd
  for w in $(pgrep -P "$NGINX_PID"); do
    for fd in /proc/"$w"/fd/*; do
      case "$(readlink "$fd")" in
        "$TMP/nginx/proxy_temp"*) total=$((total + $(stat -Lc %s "$fd" 2>/dev/null || echo 0))) ;;
      esac
    done
  done
  echo "$total"
  wait "$client"
}
stalled_client() {
  local buffered unbuffered
  buffered="$(spooled "$PROXY/stream/?size=$((64 * MIB))")"
  unbuffered="$(spooled "$PROXY/stream/?size=$((64 * MIB))&buffering=no")"
  note "stalled client, 64 MiB /stream/: nginx spooled ${buffered} bytes buffered, ${unbuffered} bytes with X-Accel-Buffering: no"
  [ "$buffered" -gt $((8 * MIB)) ] || { echo "buffered: only $buffered bytes spooled"; return 1; }
  [ "$unbuffered" -eq 0 ] || { echo "unbuffered: $unbuffered bytes spooled"; return 1; }
}
check "a stalled client: buffered nginx spools the stream to disk, X-Accel-Buffering: no leaves backpressure to the producer" stalled_client

nginx_gzip_etag() {
  # Whoever gzips (nginx here), a gzip-coded body never carries a strong ETag.
  local hdr="$TMP/gz.hdr"
  curl -sS --compressed -D "$hdr" -o "$TMP/v.out" "$PROXY/versioned/" || return 1
  same "$HELLO" "$TMP/v.out" || return 1
  grep -qi '^content-encoding: gzip' "$hdr" || { echo "not gzip-coded"; return 1; }
  local etag
  etag="$(grep -i '^etag:' "$hdr" | tr -d '\r')"
  [[ "$etag" == *'W/"hello-v1"'* ]] || { echo "gzip-coded /versioned/ has $etag"; return 1; }
}
check "a gzip-coded /versioned/ (by nginx) carries a weak ETag" nginx_gzip_etag

# --- Chromium ----------------------------------------------------------------
mkdir -p "$TMP/chromium"
CHROME_OUT="$(cd "$HERE" && node chromium.mjs "$DEMO" "$TMP/chromium" 2>&1)"
CHROME_RC=$?
while IFS= read -r line; do
  case "$line" in
    PASS\ *) pass "${line#PASS }" ;;
    FAIL\ *) FAILED=$((FAILED + 1)); echo "$line" ;;
    *) [ -n "$line" ] && note "$line" ;;
  esac
done <<<"$CHROME_OUT"
[ "$CHROME_RC" = 0 ] || fail "chromium script" "exited $CHROME_RC"

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
