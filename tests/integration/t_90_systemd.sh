# The service manager protocol: socket activation (sd_listen_fds) and
# sd_notify READY/RELOADING/STOPPING/WATCHDOG.
section "systemd: socket activation"
if ! command -v systemd-socket-activate >/dev/null; then
    skip "socket activation" "systemd-socket-activate is not installed"
else
    new_world
    systemd-socket-activate -l "$SOCK" "$JITD" --state-dir "$STATE" --config "$CONF" \
        >>"$WORLD/jitd.log" 2>&1 &
    JITD_PID=$!  # it execs jitd on the first connection: same pid
    for _ in $(seq 50); do [[ -S $SOCK ]] && break; sleep 0.05; done
    expect_exit 0 "first connection starts jitd on the inherited socket" jitctl status
    expect_log "jitd says it serves the socket from systemd" "serving on socket from systemd"
    expect_exit 0 "grant through the activated jitd" jitctl grant deploy --service sshd --for 5m --reason r
    expect_exit 0 "PAM through the activated jitd" pam deploy sshd
    stop_jitd TERM
    if [[ -S $SOCK ]]; then pass "an inherited socket is left for systemd, not unlinked"
    else fail "an inherited socket is left for systemd, not unlinked"; fi
    end_world
fi

section "systemd: sd_notify"
if ! command -v python3 >/dev/null; then
    skip "sd_notify" "python3 is needed to listen on NOTIFY_SOCKET"
else
    new_world
    python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(10)
while True:
    try:
        print(s.recv(4096).decode().replace("\n", " "), flush=True)
    except socket.timeout:
        break
' "$WORLD/notify" >"$WORLD/notify.log" 2>&1 &
    LISTENER_PID=$!
    for _ in $(seq 50); do [[ -S $WORLD/notify ]] && break; sleep 0.05; done
    NOTIFY_SOCKET=$WORLD/notify WATCHDOG_USEC=400000 start_jitd
    sleep 0.6
    kill -HUP "$JITD_PID"
    sleep 0.3
    stop_jitd TERM
    kill "$LISTENER_PID" 2>/dev/null
    wait "$LISTENER_PID" 2>/dev/null
    expect_output "READY=1 once serving" "READY=1" cat "$WORLD/notify.log"
    expect_output "WATCHDOG=1 keep-alives when WATCHDOG_USEC is set" "WATCHDOG=1" cat "$WORLD/notify.log"
    expect_output "RELOADING=1 then READY=1 on SIGHUP" "RELOADING=1.*READY=1" bash -c "tr '\n' ' ' <'$WORLD/notify.log'"
    expect_output "STOPPING=1 on SIGTERM" "STOPPING=1" cat "$WORLD/notify.log"
    end_world
fi
