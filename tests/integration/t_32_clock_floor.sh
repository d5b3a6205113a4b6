# A clock floor left ahead of the clock (an earlier run on a clock set a day
# ahead): jitd says so, keeps deciding at the floor, and only an offline
# `jitd --reset-clock-floor` brings it back to the real time.
section "clock floor ahead of the clock"
new_world
start_jitd
stop_jitd TERM
AHEAD=$(($(date +%s) + 86400))
python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE clock_floor SET floor = ? WHERE only_row = 1", (int(sys.argv[2]),))
db.commit()' "$STATE/jit.db" "$AHEAD"
start_jitd
expect_log "jitd says the clock is behind the floor" \
    "the system clock is (23h 59m|1d)[0-9hms ]* behind .*see jitd --reset-clock-floor"
jitctl grant deploy --service sshd --for 10m --reason "on the floor" >/dev/null
expect_output "a grant made meanwhile is timed from the floor, not the clock" "^$(date -u -d @$((AHEAD + 600)) +%Y-%m-%d)" \
    grant_field not_after
expect_exit 1 "--reset-clock-floor refuses while jitd serves the state" \
    "$JITD" --reset-clock-floor --state-dir "$STATE" --config "$CONF"
expect_output "... and says what to stop" "stop jitd.socket and jitd.service first" \
    "$JITD" --reset-clock-floor --state-dir "$STATE" --config "$CONF"
stop_jitd TERM
expect_output "with jitd stopped, it resets the floor to now" "clock floor reset from .* to .*grants that ended meanwhile stay ended" \
    "$JITD" --reset-clock-floor --state-dir "$STATE" --config "$CONF"
expect_output "a second reset has nothing to do" "nothing to reset" \
    "$JITD" --reset-clock-floor --state-dir "$STATE" --config "$CONF"
: >"$WORLD/jitd.log"  # what follows is the run after the reset
start_jitd
if grep -q "clock is .* behind" "$WORLD/jitd.log"; then fail "after the reset jitd no longer says the clock is behind" "$(cat "$WORLD/jitd.log")"
else pass "after the reset jitd no longer says the clock is behind"; fi
expect_exit 1 "PAM: the grant made on the floor does not outlast the reset" pam deploy sshd
expect_log "... jitd set it aside as written on another clock" "creation time .* future|in the future"
jitctl grant backup --service sshd --for 10m --reason "real time again" >/dev/null
expect_output "a new grant is timed from the real clock" "^$(date -u -d @$(($(date +%s) + 600)) +%Y-%m-%d)" \
    jq -r '.grants[] | select(.user == "backup") | .not_after' <(jitctl --json list)
expect_exit 2 "--check-config with --reset-clock-floor is a usage error" \
    "$JITD" --check-config --reset-clock-floor --config "$CONF"
end_world
