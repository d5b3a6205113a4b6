# jitd enforces staleness itself: jit-fleet killed with SIGKILL (no chance to
# revoke anything) on one web host, and that host's jitd refuses the fleet
# grant within max_staleness on its own clock, while a local grant still
# works; jit-fleet restarted, the fleet grant admits again.
section "fleet: jit-fleet killed (-9): jitd refuses fleet grants within max_staleness"

VICTIM=${WEB[${#WEB[@]} - 1]}
VSOCK=$TOP/$VICTIM/jitd.sock
id=$(grant_now) || fail "a fleet grant before the kill" "$(tail -3 "$TOP/$VICTIM/fleet.log")"
"$JITCTL" --socket "$VSOCK" grant deploy --service sudo --for 10m --reason "local, not fleet" >/dev/null
expect_exit 0 "$VICTIM: the local grant (sudo) allows" "$JITCTL" --socket "$VSOCK" check deploy sudo
expect_output "$VICTIM: jitd records the mirrored grant's fleet origin" "$id" \
    "$JITCTL" --socket "$VSOCK" list --json
kill -9 "${FLEET_PIDS[$VICTIM]}"
wait "${FLEET_PIDS[$VICTIM]}" 2>/dev/null
unset "FLEET_PIDS[$VICTIM]"
stale_ms=$(( $(echo "${STALENESS:-3s}" | tr -d s) * 1000 ))
if ms=$(wait_state "$VICTIM" deny $((stale_ms + 3000))); then
    if ((ms <= stale_ms + 1000)); then pass "$VICTIM refuses the fleet grant ${ms} ms after kill -9 (max_staleness ${stale_ms} ms)"
    else fail "$VICTIM refuses within max_staleness" "${ms} ms"; fi
else
    fail "$VICTIM refuses the fleet grant with jit-fleet dead" "$(tail -3 "$TOP/$VICTIM/jitd.log")"
fi
expect_exit 0 "$VICTIM: the local grant still allows" "$JITCTL" --socket "$VSOCK" check deploy sudo
expect_output "the refusal names the fleet grant" "mirrors fleet grant $id" \
    "$JITCTL" --socket "$VSOCK" check deploy sshd
for i in 1 2 3; do check "$VICTIM"; done
n=$(grep -c "fleet grants refused: jit-fleet's word ran out" "$TOP/$VICTIM/jitd.log")
[[ $n -eq 1 ]] && pass "jitd journals the stale episode once (after 5 refused checks)" \
    || fail "stale episode journaled once" "$n times"
other=${WEB[0]}
expect_exit 0 "$other, whose jit-fleet runs, still allows" check "$other"
start_fleet "$VICTIM"
ms=$(wait_state "$VICTIM" allow 5000) && pass "jit-fleet restarted: the fleet grant admits again (${ms} ms)" \
    || fail "fleet grant admits after restart" "$(tail -3 "$TOP/$VICTIM/fleet.log")"
n=$("$JITCTL" --socket "$VSOCK" list --json | grep -o "\"fleet_grant\":\"$id\"" | wc -l)
[[ $n -eq 1 ]] && pass "the restarted jit-fleet takes up jitd's grant: one local grant for $id" \
    || fail "one local grant per fleet grant after a restart" "$n"
expect_output "jitd journals the end of the episode" "vouches for fleet grants again" cat "$TOP/$VICTIM/jitd.log"
admin revoke "$id" --reason "f_25 done" --as bob >/dev/null 2>&1
for h in "${WEB[@]}"; do wait_state "$h" deny 5000 >/dev/null || fail "$h denies after the f_25 revoke"; done
"$JITCTL" --socket "$VSOCK" revoke --user deploy --reason "f_25 done" >/dev/null 2>&1
