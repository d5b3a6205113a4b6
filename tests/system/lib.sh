# The booted-host harness: a cached Debian bookworm root (debootstrap), booted
# with systemd-nspawn as an ephemeral copy, reached with nsenter; OpenSSH
# from the host to the container's sshd on a loopback port.  Sourced by
# tests/system/run.

: "${BUILD:?}"
SYSTEM_DIR=$PWD/$BUILD/system
SUITE=bookworm
MIRROR=${JIT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# What the cached root holds; any change here builds a new cache.
# libcurl4: jit-fleet (s_60, two hosts on etcd).
BASE_PACKAGES=systemd,systemd-sysv,dbus,libpam-systemd,openssh-server,openssh-client,sudo,procps,iproute2,libsystemd0,libsqlite3-0,libinih1,libssl3,libcurl4
RECIPE_VERSION=2

PASSED=0
FAILED=0
SKIPPED=0
pass() { PASSED=$((PASSED + 1)); printf '  ok    %s\n' "$1"; }
fail() { FAILED=$((FAILED + 1)); printf '  FAIL  %s\n' "$1"; [[ -n ${2:-} ]] && printf '        %s\n' "$2"; return 0; }
skip() { SKIPPED=$((SKIPPED + 1)); printf '  SKIPPED  %s: %s\n' "$1" "$2"; }
section() { printf '\n-- %s\n' "$1"; }

# The cached root for the current recipe, built once (about a minute).
base_root() {
    local key
    key=$(printf '%s %s %s %s' "$SUITE" "$BASE_PACKAGES" "$RECIPE_VERSION" "$MIRROR" | sha256sum | cut -c1-12)
    BASE=$SYSTEM_DIR/root-$key
    # Ephemeral copies left by a run that was killed (one run at a time).
    rm -rf "$SYSTEM_DIR"/.#machine.* "$SYSTEM_DIR"/.#.#machine.*
    [[ -f $BASE/.jit-complete ]] && return 0
    rm -rf "$BASE" "$BASE.tmp"
    mkdir -p "$SYSTEM_DIR"
    echo "building the $SUITE root (cached as $BASE)..."
    debootstrap --variant=minbase --include="$BASE_PACKAGES" "$SUITE" "$BASE.tmp" "$MIRROR" \
        >"$SYSTEM_DIR/debootstrap.log" 2>&1 || { tail -20 "$SYSTEM_DIR/debootstrap.log"; return 1; }
    echo jit-test >"$BASE.tmp/etc/hostname"
    # No console login prompts to wait for; sshd only on loopback (set per run).
    chroot "$BASE.tmp" systemctl mask console-getty.service getty@tty1.service >/dev/null 2>&1
    touch "$BASE.tmp/.jit-complete"
    mv "$BASE.tmp" "$BASE"
}

source tests/helpers/ports.sh

# Boots an ephemeral copy of the base root.  HOST_PID is the container's
# init; SSH_PORT the loopback port its sshd listens on.
boot_host() {
    WORK=$(mktemp -d /tmp/jit-system.XXXXXX)
    SSH_PORT=$(free_port)
    mkdir -p "$WORK/sshd_config.d" "$WORK/share"
    cat >"$WORK/sshd_config.d/jit-test.conf" <<CONF
Port $SSH_PORT
ListenAddress 127.0.0.1
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM yes
CONF
    systemd-nspawn -D "$BASE" --ephemeral -b --register=no --keep-unit --quiet --console=passive \
        --bind-ro="$WORK/sshd_config.d:/etc/ssh/sshd_config.d" \
        --bind="$WORK/share:/mnt/jit" \
        </dev/null >"$WORK/console.log" 2>&1 &
    NSPAWN_PID=$!
    local i state
    HOST_PID=
    for i in $(seq 300); do
        HOST_PID=$(pgrep -P "$NSPAWN_PID" -x systemd || true)
        if [[ -n $HOST_PID ]]; then
            state=$(in_host systemctl is-system-running 2>/dev/null || true)
            [[ $state == running || $state == degraded ]] && break
        fi
        kill -0 "$NSPAWN_PID" 2>/dev/null || { cat "$WORK/console.log"; return 1; }
        sleep 0.2
    done
    [[ $state == running || $state == degraded ]] || { echo "host did not boot (state: $state)"; return 1; }
    [[ $state == degraded ]] && in_host systemctl --failed --no-legend
    in_host_sh "grep -qs jit-test /etc/hosts || echo '127.0.1.1 jit-test' >> /etc/hosts"
    for i in $(seq 50); do ss -Htln "sport = :$SSH_PORT" | grep -q . && return 0; sleep 0.1; done
    echo "sshd is not listening on $SSH_PORT"
    in_host journalctl -u ssh.service --no-pager -o cat -n 20 2>/dev/null || true
    return 1
}

teardown_host() {
    if [[ -n ${NSPAWN_PID:-} ]]; then
        kill -TERM "$NSPAWN_PID" 2>/dev/null
        local i
        for i in $(seq 100); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$NSPAWN_PID" 2>/dev/null
        wait "$NSPAWN_PID" 2>/dev/null
        NSPAWN_PID=
    fi
    [[ -n ${WORK:-} ]] && rm -rf "$WORK"
    WORK=
}

# A second booted host: boot_host again after save_host A, then save_host B;
# load_host A|B makes in_host, ssh_as and the rest talk to that one.
save_host() {
    eval "${1}_WORK=\$WORK ${1}_SSH_PORT=\$SSH_PORT ${1}_NSPAWN_PID=\$NSPAWN_PID ${1}_HOST_PID=\$HOST_PID"
}
load_host() {
    eval "WORK=\$${1}_WORK SSH_PORT=\$${1}_SSH_PORT NSPAWN_PID=\$${1}_NSPAWN_PID HOST_PID=\$${1}_HOST_PID"
}
# Stops host B if a scenario left it running (the EXIT trap's job).
teardown_host_b() {
    [[ -n ${B_NSPAWN_PID:-} && ${B_NSPAWN_PID} != "${NSPAWN_PID:-}" ]] || return 0
    (load_host B && teardown_host)
    B_NSPAWN_PID=
}

in_host() { nsenter -t "$HOST_PID" -a -- "$@" </dev/null; }
in_host_sh() { nsenter -t "$HOST_PID" -a -- /bin/sh -c "$1"; }

# ssh_as USER CMD...: OpenSSH from the host to the container as USER.
ssh_as() {
    local user=$1
    shift
    ssh -n -F none -i "$WORK/id_$user" -p "$SSH_PORT" -o BatchMode=yes -o StrictHostKeyChecking=no \
        -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=5 "$user@127.0.0.1" "$@"
}

# ssh_tty_as USER CMD: the same with a terminal, as a person would have; sudo
# keys its credential cache to the terminal.
ssh_tty_as() {
    local user=$1
    shift
    ssh -tt -F none -i "$WORK/id_$user" -p "$SSH_PORT" -o BatchMode=yes -o StrictHostKeyChecking=no \
        -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=5 "$user@127.0.0.1" "$@" </dev/null
}

# add_ssh_user USER [useradd args]: a local account with a key the host holds.
add_ssh_user() {
    local user=$1
    shift
    in_host useradd -m -s /bin/bash "$@" "$user"
    ssh-keygen -q -t ed25519 -N '' -f "$WORK/id_$user"
    in_host install -d -m 700 -o "$user" -g "$user" "/home/$user/.ssh"
    in_host_sh "cat > /home/$user/.ssh/authorized_keys" <"$WORK/id_$user.pub"
    in_host chown "$user:$user" "/home/$user/.ssh/authorized_keys"
}

journal_json() { in_host journalctl --no-pager -o json "$@"; }

# put_policy FILE RULE SERVICE: the policy file FILE (standard input) into
# /etc/jit/policy.d, then a reload; returns once `jitctl explain deploy
# SERVICE` shows RULE.  drop_policy FILE RULE SERVICE removes it again.
put_policy() {
    in_host_sh "umask 022 && cat > /etc/jit/policy.d/$1" && reload_policy "$2" "$3" present
}
drop_policy() {
    in_host rm -f "/etc/jit/policy.d/$1" && reload_policy "$2" "$3" absent
}
# The reload is a SIGHUP: systemctl returns before jitd has read the policy.
reload_policy() {
    local rule=$1 service=$2 want=$3 i now out
    in_host jitctl status >/dev/null  # socket activation: reload needs a running jitd
    in_host systemctl reload jitd || return 1
    for i in $(seq 50); do
        now=absent
        out=$(in_host jitctl explain deploy "$service")
        [[ $out == *"rule $rule ("* ]] && now=present
        [[ $now == "$want" ]] && return 0
        sleep 0.1
    done
    echo "after the reload, rule $rule is not $want"
    return 1
}

expect_ok() {
    local name=$1
    shift
    local out
    if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "$out"; fi
}
expect_refused() {
    local name=$1
    shift
    local out
    if out=$("$@" 2>&1); then fail "$name" "it succeeded: $out"; else pass "$name"; fi
}

# expect_eq NAME WANT GOT
expect_eq() {
    if [[ $3 == "$2" ]]; then pass "$1"; else fail "$1" "expected '$2', got '$3'"; fi
}

summary() {
    echo
    echo "system: $PASSED passed, $FAILED failed, $SKIPPED skipped"
    [[ $FAILED -eq 0 ]]
}
