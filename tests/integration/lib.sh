# Shared helpers for the integration layer: a real jitd on a temporary
# socket, the real jitctl, and the real pam_jit.so in a PAM stack through
# pam_wrapper (pamtester drives the stack).  Sourced by tests/integration/run.

: "${BUILD:?}"
JITD=$PWD/$BUILD/jitd
JITCTL=$PWD/$BUILD/jitctl
PAM_SO=$PWD/$BUILD/pam_jit.so
PAM_WRAPPER_LIB=$(find /usr/lib /lib -name libpam_wrapper.so -print -quit 2>/dev/null)
PAM_DIR_SYSTEM=$(dirname "$(find /usr/lib /lib -name pam_permit.so -print -quit 2>/dev/null)")

PASSED=0
FAILED=0
SKIPPED=0

pass() { PASSED=$((PASSED + 1)); printf '  ok    %s\n' "$1"; }
fail() { FAILED=$((FAILED + 1)); printf '  FAIL  %s\n' "$1"; [[ -n ${2:-} ]] && printf '        %s\n' "$2"; return 0; }
skip() { SKIPPED=$((SKIPPED + 1)); printf '  SKIPPED  %s: %s\n' "$1" "$2"; }
section() { printf '\n-- %s\n' "$1"; }

# expect_exit CODE NAME CMD...: runs CMD, passes when it exits with CODE.
expect_exit() {
    local want=$1 name=$2
    shift 2
    local out rc
    out=$("$@" 2>&1)
    rc=$?
    if [[ $rc -eq $want ]]; then pass "$name"; else fail "$name" "exit $rc, wanted $want: $out"; fi
}

# expect_output NAME REGEX CMD...: passes when CMD's output matches REGEX.
expect_output() {
    local name=$1 regex=$2
    shift 2
    local out
    out=$("$@" 2>&1)
    if [[ $out =~ $regex ]]; then pass "$name"; else fail "$name" "output did not match /$regex/: $out"; fi
}

# expect_log NAME REGEX: passes when jitd's log matches REGEX within 5 s.  A
# decision's entry follows its answer (jitd(8), JOURNAL EVENTS), so the client
# that was answered may look before it is written.
expect_log() {
    local name=$1 regex=$2 i out
    for i in $(seq 250); do
        out=$(cat "$WORLD/jitd.log" 2>&1)
        [[ $out =~ $regex ]] && { pass "$name"; return 0; }
        sleep 0.02
    done
    fail "$name" "jitd.log did not match /$regex/ within 5 s: $out"
}

# A per-test world: directory, config, PAM service files.
new_world() {
    WORLD=$(mktemp -d /tmp/jit-it.XXXXXX)
    SOCK=$WORLD/jitd.sock
    STATE=$WORLD/state
    CONF=$WORLD/jitd.conf
    PAMDIR=$WORLD/pam.d
    mkdir -p "$PAMDIR"
    cat >"$CONF" <<CONF
[jitd]
max_grant = 1d
[managed]
users = deploy, backup
CONF
    write_pam_service sshd
    write_pam_service sudo
}

write_pam_service() {
    cat >"$PAMDIR/$1" <<PAM
account required $PAM_SO socket=$SOCK server_uid=$(id -u) timeout_ms=${PAM_TIMEOUT_MS:-1000} managed_users=deploy,backup
account required $PAM_DIR_SYSTEM/pam_permit.so
PAM
}

start_jitd() {
    "$JITD" --socket "$SOCK" --state-dir "$STATE" --config "$CONF" >>"$WORLD/jitd.log" 2>&1 &
    JITD_PID=$!
    local i
    for i in $(seq 100); do
        [[ -S $SOCK ]] && jitctl status >/dev/null 2>&1 && return 0
        kill -0 "$JITD_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "jitd did not start:" >&2
    cat "$WORLD/jitd.log" >&2
    return 1
}

stop_jitd() {
    local sig=${1:-TERM}
    [[ -n ${JITD_PID:-} ]] || return 0
    kill "-$sig" "$JITD_PID" 2>/dev/null
    kill -CONT "$JITD_PID" 2>/dev/null
    wait "$JITD_PID" 2>/dev/null
    JITD_PID=
}

end_world() {
    stop_jitd TERM
    [[ -n ${WORLD:-} && -d $WORLD ]] && rm -rf "$WORLD"
    WORLD=
}

jitctl() { "$JITCTL" --socket "$SOCK" "$@"; }

# pam USER SERVICE [RHOST]: runs the account phase of the PAM stack; exit 0 = allowed.
pam() {
    local user=$1 service=$2 rhost=${3:-}
    local items=()
    [[ -n $rhost ]] && items=(-I "rhost=$rhost")
    LD_PRELOAD=$PAM_WRAPPER_LIB PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR=$PAMDIR \
        pamtester "${items[@]}" "$service" "$user" acct_mgmt
}

grant_field() {  # grant_field FIELD: reads a field of the first grant in `jitctl --json list`
    jitctl --json list | jq -r ".grants[0].$1"
}

now_ms() { date +%s%3N; }

summary() {
    echo
    echo "integration: $PASSED passed, $FAILED failed, $SKIPPED skipped"
    [[ $FAILED -eq 0 ]]
}

# journald for the tests: use the running one, or start a standalone
# systemd-journald (root only) and stop it again at the end.
TEST_JOURNALD_PID=
ensure_journald() {
    # A socket file alone may be left over from a journald that is gone; a
    # journald in another mount namespace (a booted container) is not ours.
    [[ -S /run/systemd/journal/socket ]] && pgrep --ns $$ --nslist mnt -x systemd-journal >/dev/null && return 0
    [[ $(id -u) -eq 0 && -x /lib/systemd/systemd-journald ]] || return 1
    /lib/systemd/systemd-journald >/dev/null 2>&1 &
    TEST_JOURNALD_PID=$!
    local i
    for i in $(seq 50); do
        [[ -S /run/systemd/journal/socket ]] && journalctl -n0 >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}
stop_test_journald() {
    [[ -n $TEST_JOURNALD_PID ]] || return 0
    kill "$TEST_JOURNALD_PID" 2>/dev/null
    wait "$TEST_JOURNALD_PID" 2>/dev/null
    TEST_JOURNALD_PID=
}
