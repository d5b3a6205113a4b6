# etcd failures: one member down changes nothing; all down leaves local
# checks at local speed and ends fleet grants after max_staleness
# (offline = deny); etcd back: catch-up, including a revocation made while a
# host was cut off.
section "fleet: one etcd member down, then all, then back"

etcd_stop_member 0
id=$(grant_now) && pass "with member 0 down a fleet grant still reaches every web host ($id)" \
    || fail "grant with one member down" "$(tail -3 "$TOP/web-1/fleet.log")"
etcd_start_member 0
etcd_wait_ready >/dev/null 2>&1

# A revocation while web-2 is cut off (its jit-fleet stopped), applied when it returns.
if [[ ${#WEB[@]} -ge 2 ]]; then
    stop_fleet web-2
    admin revoke "$id" --reason "while web-2 was away" --as bob >/dev/null 2>&1
    wait_state web-1 deny 2000 >/dev/null && pass "web-1 denies at once" || fail "web-1 denies at once"
    expect_exit 0 "web-2, cut off, still allows (its jit-fleet is down)" check web-2
    start_fleet web-2
    ms=$(wait_state web-2 deny 5000) && pass "web-2 applies the revocation on reconnect (${ms} ms)" \
        || fail "web-2 applies the missed revocation" "$(tail -3 "$TOP/web-2/fleet.log")"
fi

id=$(grant_now) || fail "a fresh grant before the outage"
etcd_stop_all
start=$(now_ms)
for i in $(seq 20); do check web-1; done
took=$(($(now_ms) - start))
((took < 2000)) && pass "all etcd members down: 20 local checks answer in ${took} ms" || fail "local checks with etcd down" "${took} ms"
ms=$(wait_state web-1 deny 8000) && pass "after max_staleness (${STALENESS:-3s}) the fleet grant is refused (offline = deny, ${ms} ms)" \
    || fail "staleness rule" "$(tail -3 "$TOP/web-1/fleet.log")"
# jitd refuses on its own clock (the last word plus max_staleness); jit-fleet
# notices a moment later (more than max_staleness without an answer).
for i in $(seq 50); do grep -q "no answer from etcd for more than" "$TOP/web-1/fleet.log" && break; sleep 0.1; done
expect_output "jit-fleet journals being cut off" "no answer from etcd for more than" cat "$TOP/web-1/fleet.log"

for n in 0 1 2; do etcd_start_member "$n"; done
etcd_wait_ready >/dev/null 2>&1
ms=$(wait_state web-1 allow 10000) && pass "etcd back: the grant is mirrored again after a resync (${ms} ms)" \
    || fail "catch-up after etcd returns" "$(tail -3 "$TOP/web-1/fleet.log")"
admin revoke "$id" --reason "f_30 done" --as bob >/dev/null 2>&1
for h in "${WEB[@]}"; do wait_state "$h" deny 5000 >/dev/null || fail "$h denies after the final revoke"; done
