# Refused again the second the grant ends, and the expiry recorded by jitd's
# own timer without any check asking.
section "expiry: refused at not_after, recorded by the timer"
new_world
start_jitd
NOT_AFTER=$(jitctl --json grant deploy --service sshd --for 2s --reason "short" | jq -r '.grants[0].not_after')
NOT_AFTER_MS=$(( $(date -d "$NOT_AFTER" +%s) * 1000 ))
last_allow_start=0 first_deny_end=0 wrong=""
while :; do
    start=$(now_ms)
    if pam deploy sshd >/dev/null 2>&1; then
        last_allow_start=$start
        ((start >= NOT_AFTER_MS)) && wrong="allowed at +$((start - NOT_AFTER_MS)) ms after not_after"
    else
        first_deny_end=$(now_ms)
        break
    fi
    ((start > NOT_AFTER_MS + 3000)) && { wrong="never denied"; break; }
    sleep 0.05
done
if [[ -z $wrong && $last_allow_start -gt 0 && $first_deny_end -ge $NOT_AFTER_MS ]]; then
    pass "PAM: allowed until not_after, denied from then on"
else
    fail "PAM: allowed until not_after, denied from then on" "${wrong:-first deny ended at $first_deny_end, not_after $NOT_AFTER_MS}"
fi
lag=$((first_deny_end - NOT_AFTER_MS))
if ((lag < 500)); then pass "PAM: first denial within 500 ms of not_after (${lag} ms)"
else fail "PAM: first denial within 500 ms of not_after" "${lag} ms"; fi
for _ in $(seq 30); do grep -q "expired" "$WORLD/jitd.log" && break; sleep 0.1; done
expect_log "jitd: its timer recorded the expiry" "grant g-[0-9a-z]{8} for deploy expired"
expect_output "jitctl list --all: grant shows expired" 'deploy +expired' jitctl list --all
end_world
