# SIGHUP reloads jitd.conf; a broken file is refused and the old
# configuration stays in force.
section "reload with SIGHUP"
new_world
start_jitd
expect_exit 0 "backup is managed at start" jitctl grant backup --service sudo --for 1m --reason r
sed -i 's/^users = deploy, backup$/users = deploy/' "$CONF"
kill -HUP "$JITD_PID"
for _ in $(seq 20); do grep -q "configuration reloaded" "$WORLD/jitd.log" && break; sleep 0.1; done
expect_exit 6 "after reload, backup is no longer managed: grant rejected" \
    jitctl grant backup --service sudo --for 1m --reason r
expect_output "after reload, checks for backup say unmanaged" "not managed" jitctl check backup sudo
printf '[jitd]\nbogus_key = 1\n' >>"$CONF"
kill -HUP "$JITD_PID"
for _ in $(seq 20); do grep -q "not reloaded" "$WORLD/jitd.log" && break; sleep 0.1; done
expect_log "a broken config is refused with file:line" "not reloaded.*jitd.conf:[0-9]+: bogus_key"
expect_exit 0 "the old configuration stays in force" jitctl grant deploy --service sshd --for 1m --reason r
expect_exit 1 "jitd --check-config: rejects the broken file" "$JITD" --check-config --config "$CONF"
expect_exit 1 "jitd: refuses to start on a broken file" "$JITD" --config "$CONF" --socket "$WORLD/other.sock" --state-dir "$WORLD/other"
end_world

section "configuration file safety"
new_world
start_jitd
jitctl grant deploy --service sshd --for 5m --reason r >/dev/null
mv "$CONF" "$CONF.away"
kill -HUP "$JITD_PID"
for _ in $(seq 20); do grep -q "not reloaded" "$WORLD/jitd.log" && break; sleep 0.1; done
expect_log "reload with the file gone is refused" "not reloaded"
expect_exit 0 "deploy is still managed and granted" pam deploy sshd
mv "$CONF.away" "$CONF"
stop_jitd TERM
chmod 0666 "$CONF"
expect_exit 1 "a world-writable config is refused at start" "$JITD" --check-config --config "$CONF"
expect_output "the refusal says why" "not writable by group or others" "$JITD" --check-config --config "$CONF"
chmod 0644 "$CONF"
end_world
