# Authority is per message: root connects, forks, the child drops to an
# unprivileged uid and execs a program that sends GRANT on the inherited
# connection.  jitd must refuse it and journal the real sender.
section "per-message credentials"
if [[ $(id -u) -ne 0 ]] || ! command -v python3 >/dev/null; then
    skip "per-message credentials" "needs root (to drop to another uid) and python3"
else
    new_world
    chmod 0755 "$WORLD"
    mkdir -m 0777 "$WORLD/shared"
    start_jitd
    # A real GRANT frame, as jitctl sends it, caught on a socket of our own.
    python3 - "$WORLD/fake.sock" "$WORLD/shared/grant.frame" <<'PY' &
import socket, struct, sys
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sys.argv[1]); srv.listen(1); srv.settimeout(10)
c, _ = srv.accept(); c.settimeout(5)
buf = b""
while len(buf) < 16 or len(buf) < 16 + struct.unpack_from("<I", buf, 12)[0]:
    buf += c.recv(65536)
open(sys.argv[2], "wb").write(buf)
PY
    catcher=$!
    for _ in $(seq 50); do [[ -S $WORLD/fake.sock ]] && break; sleep 0.05; done
    "$JITCTL" --socket "$WORLD/fake.sock" --timeout 2000 grant deploy --service sshd --for 5m \
        --reason "passed descriptor" >/dev/null 2>&1
    wait "$catcher"
    chmod 0644 "$WORLD/shared/grant.frame"
    sender() {  # sender MODE: MODE "drop" forks and drops to uid 1001, "root" sends itself
        python3 - "$SOCK.root" "$WORLD/shared/grant.frame" "$WORLD/shared/reply" "$1" <<'PY'
import os, socket, struct, sys
path, frame, reply, mode = sys.argv[1:5]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
if mode == "root":
    creds = struct.pack("iII", os.getpid(), os.geteuid(), os.getegid())
    s.sendmsg([open(frame, "rb").read()], [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, creds)])
    open(reply, "wb").write(s.recv(65536))
    sys.exit(0)
pid = os.fork()
if pid == 0:
    os.dup2(s.fileno(), 3)
    os.set_inheritable(3, True)
    os.setgroups([]); os.setgid(1001); os.setuid(1001)
    os.execv("/bin/sh", ["sh", "-c", 'cat "$0" >&3; cat <&3 >"$1"', frame, reply])
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
PY
    }
    rm -f "$WORLD/shared/reply"
    sender drop
    grants=$(jitctl --json list | jq '.grants | length')
    if [[ $grants == 0 ]]; then pass "GRANT sent by the uid-1001 child on root's connection is refused"
    else fail "GRANT sent by the uid-1001 child on root's connection is refused" "$grants grant(s)"; fi
    # The reply is an ERROR_REPLY (type 0x0000 + ...): at least, not a grant reply.
    if [[ -s $WORLD/shared/reply ]] && grep -aq "passed descriptor carries no authority\|not sent by" "$WORLD/shared/reply"; then
        pass "the child is told why"
    else
        fail "the child is told why" "$(od -c "$WORLD/shared/reply" 2>&1 | head -3)"
    fi
    expect_log "the refusal is journaled with the real sender, uid 1001" \
        "refused a request from uid 1001 \(pid [0-9]+\): sent on a connection opened by uid 0"
    sender root
    grants=$(jitctl --json list | jq '.grants | length')
    if [[ $grants == 1 ]]; then pass "the same frame sent by root itself grants (the frame is valid)"
    else fail "the same frame sent by root itself grants (the frame is valid)" "$grants grant(s)"; fi
    end_world
fi
