# Helpers for the session scenarios (t_5x_session*.sh): PAM sessions hosted
# by tests/helpers/pam_session_host under pam_wrapper, their commands run as
# TEST_UID, and ways to watch those processes end.
SESSION_HOST=$PWD/$BUILD/tests/helpers/pam_session_host
JIT_SWEEP=$PWD/$BUILD/jit-sweep
TEST_UID=60123

# A world whose PAM services also run pam_jit.so in the session phase, and
# whose jitd warns WARN before the end and kills after a 1 s grace.
new_session_world() {
    local warn=${1:-off}
    new_world
    printf '[sessions]\nkill_grace = 1s\nwarn_before = %s\n' "$warn" >>"$CONF"
    local s
    for s in sshd sudo; do
        cat >>"$PAMDIR/$s" <<PAM
session required $PAM_SO socket=$SOCK server_uid=$(id -u) timeout_ms=${PAM_TIMEOUT_MS:-1000} managed_users=deploy,backup
session required $PAM_DIR_SYSTEM/pam_permit.so
PAM
    done
}

# pam_session SERVICE USER OPS...: pamtester with the given operations.
pam_session() {
    local service=$1 user=$2
    shift 2
    LD_PRELOAD=$PAM_WRAPPER_LIB PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR=$PAMDIR \
        pamtester "$service" "$user" "$@"
}

# start_session NAME [HOST OPTIONS...] SERVICE USER -- COMMAND...: starts a
# hosted session in the background; HOST_PID_<NAME> and CHILD_PID_<NAME> are
# set once the command runs (CHILD empty if it never started).
start_session() {
    local name=$1
    shift
    rm -f "$WORLD/$name.pid"
    LD_PRELOAD=$PAM_WRAPPER_LIB PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR=$PAMDIR \
        "$SESSION_HOST" -p "$WORLD/$name.pid" "$@" >>"$WORLD/$name.log" 2>&1 &
    printf -v "HOST_PID_$name" '%s' "$!"
    local i
    for i in $(seq 50); do [[ -s $WORLD/$name.pid ]] && break; sleep 0.05; done
    printf -v "CHILD_PID_$name" '%s' "$(cat "$WORLD/$name.pid" 2>/dev/null)"
}

# alive PID: the process exists and is not a zombie.
alive() {
    local state
    [[ -n $1 && -r /proc/$1/stat ]] || return 1
    state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
    [[ -n $state && $state != Z && $state != X ]]
}

# wait_gone PID MS: waits up to MS milliseconds for PID to end; prints the
# time it ended (ms since the epoch) and succeeds, or fails.
wait_gone() {
    local pid=$1 limit=$(($(now_ms) + $2))
    while alive "$pid"; do
        (($(now_ms) > limit)) && return 1
        sleep 0.02
    done
    now_ms
}

# session_field ID FIELD: a field of one session in `jitctl --json sessions --all`.
session_field() {
    jitctl --json sessions --all | jq -r ".sessions[] | select(.id == \"$1\") | .$2"
}

# kill_hosts: ends what a scenario left running (by pid, never by name).
kill_hosts() {
    local v pid hosts=()
    for v in ${!HOST_PID_*} ${!CHILD_PID_*}; do
        pid=${!v}
        [[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null
        [[ $v == HOST_PID_* && -n $pid ]] && hosts+=("$pid")
        unset "$v"
    done
    # Only our hosts: a bare `wait` would wait for jitd too.
    [[ ${#hosts[@]} -gt 0 ]] && wait "${hosts[@]}" 2>/dev/null
    return 0
}
