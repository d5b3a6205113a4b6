# A local user trying to jam logins: many connections and slowloris peers
# on the public socket while root checks run.  Root (PAM, jitctl) goes
# through the protected socket and the public one caps each uid, so every
# check must be answered within pam_jit's deadline.
section "connection flood"
FLOOD=$PWD/$BUILD/tests/helpers/flood
if [[ $(id -u) -ne 0 ]] || ! command -v setpriv >/dev/null || ! command -v prlimit >/dev/null; then
    skip "connection flood" "needs root, setpriv and prlimit to hold connections as other uids"
elif [[ ! -x $FLOOD ]]; then
    fail "connection flood" "$FLOOD is not built (make integration builds it)"
else
    new_world
    chmod 0755 "$WORLD"
    start_jitd
    jitctl grant deploy --service sshd --for 10m --reason flood >/dev/null
    hard=$(ulimit -Hn)
    hold=10000 slow=1000
    # Scaled to what this box allows: the flooder needs a descriptor each.
    ((hold + 100 > hard)) && hold=$((hard - 100 - slow))
    flood_secs=20
    prlimit --nofile=$((hold + 64)):$((hold + 64)) setpriv --reuid=nobody --regid=nogroup \
        --clear-groups "$FLOOD" "$SOCK" "$hold" 0 "$flood_secs" >"$WORLD/flood.out" 2>&1 &
    flood_pid=$!
    prlimit --nofile=$((slow + 64)):$((slow + 64)) setpriv --reuid=1001 --regid=1001 \
        --clear-groups "$FLOOD" "$SOCK" 0 "$slow" "$flood_secs" >"$WORLD/slow.out" 2>&1 &
    slow_pid=$!
    sleep 3  # let both ramp up
    lat=()
    answered=0 n=0 rss=0
    end=$((SECONDS + 12))
    while ((SECONDS < end)); do
        t0=$(date +%s%N)
        if "$JITCTL" --socket "$SOCK" --timeout 1000 check deploy sshd >/dev/null 2>&1; then
            answered=$((answered + 1))
        fi
        t1=$(date +%s%N)
        lat+=($(((t1 - t0) / 1000000)))
        n=$((n + 1))
        if ((n % 10 == 0)); then
            r=$(awk '/VmRSS/ {print $2}' "/proc/$JITD_PID/status")
            ((r > rss)) && rss=$r
        fi
    done
    pam_ok=0
    for _ in $(seq 10); do pam deploy sshd >/dev/null 2>&1 && pam_ok=$((pam_ok + 1)); done
    still_flooding=0
    kill -0 "$flood_pid" 2>/dev/null && kill -0 "$slow_pid" 2>/dev/null && still_flooding=1
    wait "$flood_pid" "$slow_pid"
    sorted=$(printf '%s\n' "${lat[@]}" | sort -n)
    pct() { printf '%s\n' "$sorted" | awk -v p="$1" '{a[NR]=$1} END {i=int(NR*p/100+0.999); if (i<1) i=1; print a[i]}'; }
    p50=$(pct 50) p99=$(pct 99) max=$(pct 100)
    printf '        flood: uid nobody %s connections (%s), uid 1001 %s slowloris (%s)\n' \
        "$hold" "$(cat "$WORLD/flood.out")" "$slow" "$(cat "$WORLD/slow.out")"
    printf '        root checks: %d, answered allow %d; latency ms p50 %s p99 %s max %s; jitd peak RSS %s kB\n' \
        "$n" "$answered" "$p50" "$p99" "$max" "$rss"
    if [[ $still_flooding -eq 1 && $answered -eq $n && $n -ge 20 ]]; then
        pass "every root check answered while flooded ($n of $n)"
    else
        fail "every root check answered while flooded" "answered $answered of $n; flooders alive: $still_flooding"
    fi
    if ((max < 1000)); then pass "every check within pam_jit's 1 s deadline (max $max ms)"
    else fail "every check within pam_jit's 1 s deadline" "max $max ms"; fi
    if [[ $pam_ok -eq 10 ]]; then pass "pam_jit allows through the flood (10 of 10)"
    else fail "pam_jit allows through the flood" "$pam_ok of 10"; fi
    if ((rss > 0 && rss < 65536)); then pass "jitd's memory stays bounded (peak RSS $rss kB)"
    else fail "jitd's memory stays bounded" "peak RSS $rss kB"; fi
    capped=$(grep -c "uid $(id -u nobody) hit the per-uid connection cap" "$WORLD/jitd.log")
    # One entry per uid per 10 s window at most: 20 s of flood gives 2 or 3.
    if ((capped >= 1 && capped <= 3)); then
        pass "the uid that hit its cap is journaled, rate-limited ($capped entries)"
    else
        fail "the uid that hit its cap is journaled, rate-limited" "$capped entries"
    fi
    expect_exit 0 "jitd still serves other users after the flood" \
        setpriv --reuid=1002 --regid=1002 --clear-groups "$JITCTL" --socket "$SOCK" status

    # The short frame deadline and the oversize length, byte by byte.
    out=$(python3 - "$SOCK" <<'PY'
import socket, struct, sys, time
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    s.settimeout(5)
    return s
s = conn()
t = time.monotonic()
got = s.recv(100)
print("silent", len(got), int((time.monotonic() - t) * 1000))
s = conn()
s.sendall(struct.pack("<IHHII", 0x3154494a, 1, 9, 7, 1 << 30))
t = time.monotonic()
got = s.recv(100)
print("oversize", len(got), int((time.monotonic() - t) * 1000))
PY
)
    silent_ms=$(awk '$1 == "silent" && $2 == 0 {print $3}' <<<"$out")
    if [[ -n $silent_ms ]] && ((silent_ms >= 800 && silent_ms < 2500)); then
        pass "a peer that sends no frame is closed after frame_timeout ($silent_ms ms)"
    else
        fail "a peer that sends no frame is closed after frame_timeout" "$out"
    fi
    over_ms=$(awk '$1 == "oversize" && $2 == 0 {print $3}' <<<"$out")
    if [[ -n $over_ms ]] && ((over_ms < 300)); then
        pass "an oversize length closes the connection at once, unanswered ($over_ms ms)"
    else
        fail "an oversize length closes the connection at once, unanswered" "$out"
    fi
    # SIGPIPE, deterministically: 20 clients shut their reading side before
    # they send a STATUS request, so every answer jitd writes fails with
    # EPIPE (the error that comes with SIGPIPE when not suppressed).
    python3 - "$SOCK" <<'PY'
import socket, struct, sys, time
held = []
for i in range(20):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    s.shutdown(socket.SHUT_RD)
    s.sendall(struct.pack("<IHHII", 0x3154494a, 1, 9, 100 + i, 0))
    held.append(s)
time.sleep(0.5)
PY
    epipes=$(grep -c "request of type 9 (request 1[0-9][0-9]) .* not delivered: Broken pipe" "$WORLD/jitd.log")
    if kill -0 "$JITD_PID" 2>/dev/null && [[ $epipes -eq 20 ]]; then
        pass "jitd survives 20 answers that fail with EPIPE (no SIGPIPE death)"
    else
        fail "jitd survives 20 answers that fail with EPIPE (no SIGPIPE death)" "$epipes EPIPE(s) logged; jitd $(kill -0 "$JITD_PID" 2>/dev/null && echo alive || echo gone)"
    fi
    expect_exit 0 "... and serves the next caller" jitctl status
    if [[ $(stat -c %a "$SOCK.root") == 600 && $(stat -c %a "$SOCK") == 666 ]]; then
        pass "the protected socket is 0600, the public one 0666"
    else
        fail "the protected socket is 0600, the public one 0666" "$(ls -l "$SOCK" "$SOCK.root")"
    fi
    expect_exit 3 "an unprivileged user cannot connect to the protected socket" \
        setpriv --reuid=1002 --regid=1002 --clear-groups "$JITCTL" --socket "$SOCK.root" status
    # Root's `jitctl --socket PATH check` takes PATH.root, the door pam_jit
    # takes: with the public path replaced by a plain file, root's check and
    # pam_jit are still answered, another user's jitctl is not.
    mv "$SOCK" "$SOCK.moved" && : >"$SOCK"
    expect_exit 0 "root's jitctl --socket PATH check goes through PATH.root (PATH is no socket now)" \
        "$JITCTL" --socket "$SOCK" check deploy sshd
    expect_exit 0 "... as pam_jit does" pam deploy sshd
    expect_exit 3 "... while another user's jitctl, on PATH itself, cannot connect" \
        setpriv --reuid=1002 --regid=1002 --clear-groups "$JITCTL" --socket "$SOCK" status
    rm -f "$SOCK" && mv "$SOCK.moved" "$SOCK"
    end_world
fi
