# Revocation latency: a revoke on the admin host, then every web host's check
# is polled until it denies.  The issue's bound is 1 s; p50/p99/max printed.
section "fleet: a revoke reaches every web host within 1 s ($CYCLES revocations)"

# grant_now: request + two approvals; prints the fleet grant id once every web host allows.
grant_now() {
    local req out
    req=$("$FLEET" --config "$TOP/web-1/fleet.conf" --state-dir "$TOP/web-1/fleet" \
        request deploy --hosts role=web --service sshd --for 10m --reason "cycle" --as alice 2>&1) || return 1
    admin approve "$req" --as bob >/dev/null 2>&1 || return 1
    out=$(admin approve "$req" --as carol 2>&1) || return 1
    [[ $out =~ granted\ (fg-[0-9a-z]+) ]] || return 1
    local h
    for h in "${WEB[@]}"; do wait_state "$h" allow 5000 >/dev/null || return 1; done
    echo "${BASH_REMATCH[1]}"
}

# revoke_and_time ID: revokes, prints one latency (ms) per web host, from
# just before the revoke to the first denied check (deny_watch polls every
# web host's jitd in one process, so the pollers do not crowd the CPU).
revoke_and_time() {
    local id=$1 start h socks=() line
    for h in "${WEB[@]}"; do socks+=("$TOP/$h/jitd.sock"); done
    coproc WATCH { "$DENY_WATCH" 5000 "${socks[@]}"; }
    read -r line <&"${WATCH[0]}"
    start=$(now_ms)
    admin revoke "$id" --reason "timed" --as bob >/dev/null 2>&1 || return 1
    local results
    results=$(cat <&"${WATCH[0]}")
    wait "$WATCH_PID" || return 1
    while read -r sock when; do echo $((when - start)); done <<<"$results"
}

LAT=()
ok_cycles=0
for c in $(seq 1 "$CYCLES"); do
    id=$(grant_now) || { fail "cycle $c: grant reached every web host" "$(tail -2 "$TOP/web-1/fleet.log")"; break; }
    mapfile -t got < <(revoke_and_time "$id") || true
    if [[ ${#got[@]} -ne ${#WEB[@]} ]]; then fail "cycle $c: every web host denied within 5 s"; break; fi
    LAT+=("${got[@]}")
    ok_cycles=$((ok_cycles + 1))
done
if ((ok_cycles == CYCLES)); then
    read -r p50 p99 max < <(printf '%s\n' "${LAT[@]}" | sort -n | awk '{a[NR]=$1} END {
        i50=int(NR*0.5); if (i50<1) i50=1; i99=int(NR*0.99+0.999); if (i99>NR) i99=NR; print a[i50], a[i99], a[NR]}')
    echo "        revoke -> deny over ${#LAT[@]} host-revocations (${#WEB[@]} hosts x $CYCLES): p50 ${p50} ms, p99 ${p99} ms, max ${max} ms"
    if ((max <= 1000)); then pass "every revocation denied on every web host within 1 s (max ${max} ms)"
    else fail "revocation within 1 s" "max ${max} ms"; fi
fi
