# A stalled journald behind a real jitd.  jitd runs in a private mount
# namespace whose /run/systemd/journal is a tmpfs holding a stand-in for
# journald's native socket (journal_peer.py), which the test stops reading
# with SIGSTOP.  Checks must still be answered at once; the decisions wait
# in jitd's bounded queue and all arrive, in order, once the peer reads
# again; past the queue's bound the oldest go to stderr at once, so none is
# lost; jitd's memory stays bounded.
section "a stalled journald behind jitd"

STALL_PEER=$PWD/tests/integration/journal_peer.py

# checks FROM TO: one allowed check of deploy per rhost 10.81.x.y numbered
# FROM..TO-1; prints the slowest answer in ms, and "refused N" if any was not
# an allow.
stall_checks() {
    local i t0 t1 slowest=0 refused=0
    for ((i = $1; i < $2; i++)); do
        t0=${EPOCHREALTIME/./}
        jitctl check deploy sshd --rhost "10.81.$((i / 250)).$((i % 250))" >/dev/null 2>&1 ||
            refused=$((refused + 1))
        t1=${EPOCHREALTIME/./}
        (((t1 - t0) / 1000 > slowest)) && slowest=$(((t1 - t0) / 1000))
    done
    echo "$slowest $refused"
}

# How many of the checks' decisions the peer has received.
stall_received() { grep -c "^allow deploy for sshd from 10\.81\." "$WORLD/peer.out"; }

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# How many received decisions are out of place (check N carries rhost N).
stall_out_of_order() {
    grep "^allow deploy for sshd from 10\.81\." "$WORLD/peer.out" |
        sed -E 's/.* from 10\.81\.([0-9]+)\.([0-9]+):.*/\1 \2/' | awk '{print $1 * 250 + $2}' |
        awk 'NR - 1 != $1 {bad++} END {print bad + 0}'
}

# The peer stopped while N decisions were made: they wait, and all N arrive
# in order once it reads again.
stall_then_resume() {
    local want=$1 got
    got=$(stall_received)
    if [[ $got -lt $want ]]; then pass "... while the peer is stopped, the entries wait ($got of $want received)"
    else fail "... while the peer is stopped, the entries wait" "all $got received: the stall did not happen"; fi
    kill -CONT "$PEER_PID"
    for _ in $(seq 100); do [[ $(stall_received) -ge $want ]] && break; sleep 0.1; done
    got=$(stall_received)
    local misplaced
    misplaced=$(stall_out_of_order)
    if [[ $got -eq $want && $misplaced -eq 0 ]]; then
        pass "... once it reads again, all $want arrive, in order"
    else
        fail "... once it reads again, all $want arrive, in order" "$got received, $misplaced out of place"
    fi
}

# jitd in a private mount namespace whose /run/systemd/journal is an empty
# tmpfs; with "peer", the stand-in journald is listening there before jitd
# starts (PEER_PID), without it jitd starts with no journald at all.
start_jitd_private_journal() {
    # shellcheck disable=SC2016
    unshare -m --propagation private bash -c '
        mount -t tmpfs -o mode=0755 jit-journal /run/systemd/journal || exit 97
        if [[ $1 == peer ]]; then
            python3 "$2" /run/systemd/journal/socket "$3" &
            echo $! >"$4"
            for _ in $(seq 100); do [[ -S /run/systemd/journal/socket ]] && break; sleep 0.05; done
        fi
        shift 4
        exec "$@"' stall "${1:-}" "$STALL_PEER" "$WORLD/peer.out" "$WORLD/peer.pid" \
        "$JITD" --socket "$SOCK" --state-dir "$STATE" --config "$CONF" >>"$WORLD/jitd.log" 2>&1 &
    JITD_PID=$!
    for _ in $(seq 100); do
        [[ -S $SOCK ]] && jitctl status >/dev/null 2>&1 && break
        sleep 0.05
    done
    [[ ${1:-} == peer ]] && PEER_PID=$(cat "$WORLD/peer.pid" 2>/dev/null)
}

if [[ $(id -u) -ne 0 ]] || ! command -v unshare >/dev/null || ! command -v python3 >/dev/null; then
    skip "stalled journald" "needs root, unshare(1) and python3 (a private mount namespace for jitd)"
else
    new_world
    : >"$WORLD/peer.out"
    PEER_PID=
    start_jitd_private_journal peer
    if ! jitctl status >/dev/null 2>&1 || [[ -z $PEER_PID ]]; then
        fail "jitd starts with a journal peer in its own mount namespace" "$(tail -5 "$WORLD/jitd.log")"
    else
        jitctl grant deploy --service sshd --for 1h --reason "journal stall" >/dev/null
        read -r slowest refused < <(stall_checks 0 5)
        for _ in $(seq 50); do [[ $(stall_received) -ge 5 ]] && break; sleep 0.1; done
        if [[ $(stall_received) -eq 5 ]]; then pass "the peer receives jitd's decisions while it reads (5 of 5)"
        else fail "the peer receives jitd's decisions while it reads" "$(stall_received) of 5"; fi

        # Stalled, within the queue's bound (4,096 entries).
        kill -STOP "$PEER_PID"
        rss_before=$(rss_kb "$JITD_PID")
        read -r slowest refused < <(stall_checks 5 1505)
        if [[ $refused -eq 0 && $slowest -lt 1000 ]]; then
            pass "1,500 checks with journald stalled: all allowed, the slowest answered in $slowest ms"
        else
            fail "1,500 checks with journald stalled are answered promptly" "slowest $slowest ms, $refused not allowed"
        fi
        stall_then_resume 1505

        # Stalled past the bound: the oldest go to stderr, the loop never waits.
        kill -STOP "$PEER_PID"
        parts=()
        for part in 0 1 2 3; do
            stall_checks $((1505 + part * 1200)) $((2705 + part * 1200)) >"$WORLD/part.$part" &
            parts+=($!)
        done
        wait "${parts[@]}"  # not jitd, a child of this shell too
        slowest=0 refused=0
        for part in 0 1 2 3; do
            read -r s r <"$WORLD/part.$part"
            ((s > slowest)) && slowest=$s
            refused=$((refused + r))
        done
        rss_after=$(rss_kb "$JITD_PID")
        if [[ $refused -eq 0 && $slowest -lt 1000 ]]; then
            pass "4,800 more checks past the queue's bound: all allowed, the slowest answered in $slowest ms"
        else
            fail "4,800 more checks past the queue's bound are answered promptly" "slowest $slowest ms, $refused not allowed"
        fi
        if ((rss_after - rss_before < 32768)); then
            pass "... jitd's memory stays bounded (RSS $rss_before -> $rss_after kB)"
        else
            fail "... jitd's memory stays bounded" "RSS $rss_before -> $rss_after kB"
        fi
        kill -CONT "$PEER_PID"
        for _ in $(seq 100); do
            spilled=$(grep -c "journald did not take this entry in time: allow deploy for sshd from 10\.81\." "$WORLD/jitd.log")
            [[ $(($(stall_received) + spilled)) -ge 6305 ]] && break
            sleep 0.1
        done
        spilled=$(grep -c "journald did not take this entry in time: allow deploy for sshd from 10\.81\." "$WORLD/jitd.log")
        seen=$({
            grep -o "from 10\.81\.[0-9]*\.[0-9]*:" "$WORLD/peer.out"
            grep "journald did not take this entry in time" "$WORLD/jitd.log" | grep -o "from 10\.81\.[0-9]*\.[0-9]*:"
        } | sort -u | wc -l)
        missing=$((6305 - seen))
        if [[ $spilled -gt 0 && $missing -eq 0 ]]; then
            pass "... none is lost: $(stall_received) reached the peer, $spilled went to stderr"
        else
            fail "... none is lost" "$(stall_received) at the peer, $spilled on stderr, $missing missing"
        fi
        expect_exit 0 "jitd still answers after the stall" jitctl check deploy sshd
    fi
    kill -CONT "$PEER_PID" 2>/dev/null
    stop_jitd TERM
    [[ -n ${PEER_PID:-} ]] && kill "$PEER_PID" 2>/dev/null
    end_world
fi

# journald that comes up after jitd: jitd finds no journal socket at its
# start, so its first entries go to stderr; the peer then starts in jitd's
# mount namespace.  From the next entry on, jitd reaches it through the same
# non-blocking socket and queue: a stalled journald then holds no answer.
section "journald that starts after jitd"

if [[ $(id -u) -ne 0 ]] || ! command -v unshare >/dev/null || ! command -v nsenter >/dev/null ||
    ! command -v python3 >/dev/null; then
    skip "journald that starts after jitd" "needs root, unshare(1), nsenter(1) and python3"
else
    new_world
    : >"$WORLD/peer.out"
    PEER_PID=
    start_jitd_private_journal
    if ! jitctl status >/dev/null 2>&1; then
        fail "jitd starts with no journald in its own mount namespace" "$(tail -5 "$WORLD/jitd.log")"
    else
        jitctl grant deploy --service sshd --for 1h --reason "journal late" >/dev/null
        nsenter -t "$JITD_PID" -m python3 "$STALL_PEER" /run/systemd/journal/socket "$WORLD/peer.out" &
        PEER_PID=$!
        for _ in $(seq 100); do
            nsenter -t "$JITD_PID" -m test -S /run/systemd/journal/socket && break
            sleep 0.05
        done
        read -r slowest refused < <(stall_checks 0 5)
        for _ in $(seq 50); do [[ $(stall_received) -ge 5 ]] && break; sleep 0.1; done
        if [[ $(stall_received) -eq 5 ]]; then pass "journald started after jitd receives its decisions (5 of 5)"
        else fail "journald started after jitd receives its decisions" "$(stall_received) of 5"; fi

        # A blocking send would hang jitd once the peer's socket queue is full
        # (a few hundred entries): stop at the first slow or refused answer.
        kill -STOP "$PEER_PID"
        done_checks=0 slowest=0
        for ((i = 5; i < 1505; i++)); do
            read -r s r < <(stall_checks "$i" $((i + 1)))
            ((s > slowest)) && slowest=$s
            [[ $r -ne 0 || $s -ge 1000 ]] && break
            done_checks=$((done_checks + 1))
        done
        if [[ $done_checks -eq 1500 ]]; then
            pass "... then stalled: 1,500 checks all allowed, the slowest answered in $slowest ms"
        else
            fail "... then stalled: 1,500 checks are answered promptly" "check $((done_checks + 6)) took $slowest ms or was refused"
        fi
        stall_then_resume 1505
    fi
    [[ -n $PEER_PID ]] && kill -CONT "$PEER_PID" 2>/dev/null
    stop_jitd TERM
    if [[ -n $PEER_PID ]]; then
        kill "$PEER_PID" 2>/dev/null
        wait "$PEER_PID" 2>/dev/null
    fi
    end_world
fi
