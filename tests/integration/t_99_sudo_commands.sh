# Command-scoped sudo: real sudo with jit_sudo.so loaded and pam_jit.so in
# its PAM stack, a real jitd, jitctl grant --command.  sudo reads only
# /etc/sudo.conf, /etc/sudoers and /etc/pam.d/sudo, so each sudo runs in a
# private mount namespace with test copies bound over them (root only; the
# host's files are never touched).  The managed account is "nobody", the
# unmanaged admin "daemon": both exist on every Debian system.

sudo_layer_missing() {
    [[ $(id -u) -eq 0 ]] || { echo "needs root (private mount namespaces, real sudo)"; return; }
    command -v sudo >/dev/null || { echo "sudo is not installed"; return; }
    command -v unshare >/dev/null && command -v setpriv >/dev/null ||
        { echo "unshare/setpriv missing (util-linux)"; return; }
    unshare -m true 2>/dev/null || { echo "cannot create a mount namespace here"; return; }
    id nobody >/dev/null 2>&1 && id daemon >/dev/null 2>&1 || echo "no nobody/daemon accounts"
}

# as USER CMD...: runs CMD as USER with the test sudo configuration.
sudo_as() {
    local user=$1
    shift
    local who=(setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups)
    [[ $user == root ]] && who=()
    unshare -m sh -c 'mount --bind "$1/sudo.conf" /etc/sudo.conf &&
        mount --bind "$1/sudoers" /etc/sudoers && mount --bind "$1/pam.sudo" /etc/pam.d/sudo &&
        shift && cd / && exec "$@"' sh "$WORLD" "${who[@]}" env PATH="${TEST_PATH:-/usr/bin:/bin}" "$@"
}
sudo_uses_left() { jitctl --json list | jq -r '.grants[0].uses_left'; }

sudo_world() {
    new_world
    mkdir -m 0755 "$WORLD/policy.d"
    printf '[jitd]\nmax_grant = 1d\npolicy_dir = %s\n[managed]\nusers = nobody\n' \
        "$WORLD/policy.d" >"$CONF"
    printf '%s\n' '[web-restart]' 'accounts = nobody' 'services = sudo' \
        'commands = /usr/bin/echo restart web.service, /usr/bin/id -un' 'runas = root' \
        'duration = 1m..15m' 'approval = auto' >"$WORLD/policy.d/web.conf"
    chmod 0644 "$WORLD/policy.d/web.conf"
    start_jitd
    printf 'Plugin jit_%s %s socket=%s managed_users=nobody\n' \
        approval "$PWD/$BUILD/jit_sudo.so" "$SOCK" audit "$PWD/$BUILD/jit_sudo.so" "$SOCK" \
        >"$WORLD/sudo.conf"
    # No secure_path: sudo searches the invoker's PATH, the case where a
    # symbolic link earlier in PATH could stand in for the granted program.
    printf '%s\n' 'Defaults env_reset' 'root ALL=(ALL:ALL) ALL' \
        'nobody ALL=(ALL:ALL) NOPASSWD: ALL' 'daemon ALL=(ALL:ALL) NOPASSWD: ALL' \
        'Defaults:nobody runcwd=*' >"$WORLD/sudoers"
    chmod 0440 "$WORLD/sudoers"
    printf '%s\n' "account required $PAM_SO socket=$SOCK managed_users=nobody" \
        "account required $PAM_DIR_SYSTEM/pam_permit.so" \
        "session required $PAM_DIR_SYSTEM/pam_permit.so" >"$WORLD/pam.sudo"
    mkdir -p "$WORLD/bin" && ln -s /usr/bin/echo "$WORLD/bin/echo"
    chmod 0755 "$WORLD" "$WORLD/bin"
}

section "command-scoped sudo (jit_sudo.so in real sudo)"
why=$(sudo_layer_missing)
if [[ -n $why ]]; then
    skip "command-scoped sudo" "$why"
else
    sudo_world
    # Without a grant pam_jit refuses in sudo's account phase, before the plugin.
    expect_output "no grant: refused" "PAM account management error" \
        sudo_as nobody sudo /usr/bin/echo restart web.service
    jitctl grant nobody --service sudo --for 10m --uses 3 --reason "deploy 4711" \
        --command "/usr/bin/echo restart web.service" --command "/usr/bin/id -un" >/dev/null
    expect_output "jitctl list shows the command scope" \
        "COMMANDS.*/usr/bin/echo restart web.service; /usr/bin/id -un" jitctl list
    expect_output "granted command runs" "^restart web.service$" \
        sudo_as nobody sudo /usr/bin/echo restart web.service
    expect_output "found on PATH, the same resolved path runs" "^restart web.service$" \
        sudo_as nobody sudo echo restart web.service
    expect_output "two uses spent by two commands (their PAM checks spent none)" "^1$" \
        sudo_uses_left
    expect_output "other arguments refused" "jit: denied.*arguments match no pattern" \
        sudo_as nobody sudo /usr/bin/echo stop web.service
    expect_output "/usr/bin/../bin/echo refused" "jit: denied.*not among the granted commands" \
        sudo_as nobody sudo /usr/bin/../bin/echo restart web.service
    TEST_PATH=$WORLD/bin:/usr/bin:/bin expect_output "a symlink earlier in PATH refused" \
        "jit: denied.*/bin/echo is not among" sudo_as nobody sudo echo restart web.service
    expect_output "sudo -E refused" "jit: denied.*-E" \
        sudo_as nobody sudo -E /usr/bin/echo restart web.service
    expect_output "sudo NAME=value refused" "jit: denied.*FOO" \
        sudo_as nobody sudo FOO=1 /usr/bin/echo restart web.service
    expect_output "sudo -s refused" "jit: denied.*shell" \
        sudo_as nobody sudo -s /usr/bin/echo restart web.service
    expect_output "sudoedit refused" "jit: denied.*sudoedit" \
        sudo_as nobody env EDITOR=/bin/true sudoedit /etc/hostname
    expect_output "runas not granted: refused" "jit: denied.*may not run as daemon" \
        sudo_as nobody sudo -u daemon /usr/bin/id -un
    expect_output "sudo -i refused" "jit: denied.*shell" \
        sudo_as nobody sudo -i /usr/bin/echo restart web.service
    expect_output "sudo -e refused" "jit: denied.*sudoedit" \
        sudo_as nobody env EDITOR=/bin/true sudo -e /etc/hostname
    expect_output "sudo --preserve-env=NAME refused" "jit: denied.*HOME" \
        sudo_as nobody sudo --preserve-env=HOME /usr/bin/echo restart web.service
    expect_output "runas group not granted: refused" "jit: denied.*may not run as root:daemon" \
        sudo_as nobody sudo -u root -g daemon /usr/bin/id -un
    expect_output "sudo -g alone runs as the invoker, not granted either: refused" \
        "jit: denied.*may not run as nobody:daemon" sudo_as nobody sudo -g daemon /usr/bin/id -un
    expect_output "the arguments as one word with a blank: refused (no shell splits them)" \
        "jit: denied.*arguments match no pattern" \
        sudo_as nobody sudo /usr/bin/echo "restart web.service"
    expect_output "one argument more: refused" "jit: denied.*arguments match no pattern" \
        sudo_as nobody sudo /usr/bin/echo restart web.service now
    expect_output "refusals spent no use" "^1$" sudo_uses_left
    expect_output "second granted command runs as root" "^root$" \
        sudo_as nobody sudo /usr/bin/id -un
    expect_output "uses exhausted: refused" "PAM account management error|jit: denied" \
        sudo_as nobody sudo /usr/bin/echo restart web.service
    expect_output "... because no use is left" "no use left" jitctl check nobody sudo
    expect_output "root is unaffected" "^root$" sudo_as root sudo /usr/bin/id -un
    expect_output "an unmanaged admin is unaffected" "^root$" sudo_as daemon sudo /usr/bin/id -un
    expect_log "journal: each command decision names the command" \
        "allow nobody sudo as root: /usr/bin/echo restart web.service"
    expect_log "journal: a refused command is recorded too" \
        "deny nobody sudo as root: /usr/bin/echo stop web.service"

    jitctl revoke --user nobody --reason "next test" >/dev/null
    expect_output "a request wider than the rule is denied" "not within the rule's commands" \
        jitctl request nobody --service sudo --for 5m --reason "deploy 4712" \
        --command "/usr/bin/echo *"
    expect_exit 0 "a request narrowing the rule's commands is approved by policy" \
        jitctl request nobody --service sudo --for 5m --reason "deploy 4712" \
        --command "/usr/bin/echo restart web.service"
    expect_output "its grant runs the command it asked for" "^restart web.service$" \
        sudo_as nobody sudo /usr/bin/echo restart web.service
    expect_output "... and not the rest of the rule's" "jit: denied" \
        sudo_as nobody sudo /usr/bin/id -un
    expect_output "jitctl explain --command names the pattern that matches" \
        'pattern "/usr/bin/echo restart web.service" matches' \
        jitctl explain nobody sudo --command "/usr/bin/echo restart web.service"
    expect_output "jitctl explain --command says why another does not" \
        "arguments match no pattern.*sudo would refuse it" \
        bash -c "'$JITCTL' --socket '$SOCK' explain nobody sudo --command '/usr/bin/echo stop web.service' | tr '\n' ' '"

    # The audit half: how each approved command ended, with its grant.
    jitctl revoke --user nobody --reason "next test" >/dev/null
    jitctl grant nobody --service sudo --for 10m --reason "exit test" \
        --command "/usr/bin/sh -c *" >/dev/null
    gid=$(jitctl --json list | jq -r '.grants[0].id')
    expect_exit 3 "a granted command's exit status is sudo's" \
        sudo_as nobody sudo /usr/bin/sh -c 'exit 3'
    expect_log "journal: the exit status, with the command and the grant id" \
        "exit nobody sudo as root: /usr/bin/sh -c 'exit 3': status 3 \(grant $gid\)"
    sudo_as nobody sudo /usr/bin/sh -c 'kill -TERM $$' >/dev/null 2>&1
    expect_log "journal: a command killed by a signal" \
        "exit nobody sudo as root: /usr/bin/sh -c 'kill -TERM \\\$\\\$': signal 15 \(Terminated\) \(grant $gid\)"
    # sudo -D (sudoers permits it here): the directory is recorded, not matched.
    expect_output "sudo -D /tmp: a granted command runs there" "^/tmp$" \
        sudo_as nobody sudo -D /tmp /usr/bin/sh -c pwd
    if ensure_journald; then
        expect_output "journal: its decision records JIT_CWD=/tmp" '"JIT_CWD":"/tmp"' \
            bash -c "journalctl --no-pager -o json _PID=$JITD_PID JIT_EVENT=decision JIT_DECISION=allow JIT_USER=nobody | grep '\"JIT_COMMAND\":\"/usr/bin/sh -c pwd\"'"
    else
        skip "journal: sudo -D's directory in JIT_CWD" "no journald reachable"
    fi
    expect_output "journal: a refused command has no exit record" "^0$" \
        bash -c "grep -c 'exit nobody sudo as root: /usr/bin/echo stop' '$WORLD/jitd.log'"
    expect_output "root's and the unmanaged admin's commands have none either" "^0$" \
        bash -c "grep -c ': exit \(root\|daemon\) sudo' '$WORLD/jitd.log'"
    # jitd stops answering while a command runs: the command's status is
    # still sudo's, within the plugin's one deadline (1 s), with a warning.
    sudo_as nobody sudo /usr/bin/sh -c 'sleep 1; exit 4' >"$WORLD/late.out" 2>&1 &
    late=$!
    sleep 0.5
    kill -STOP "$JITD_PID"
    t0=$(date +%s%N)
    wait "$late"
    rc=$?
    elapsed_ms=$((($(date +%s%N) - t0) / 1000000))
    kill -CONT "$JITD_PID"
    expect_output "jitd hung at exit: sudo still returns the command's status" "^4$" echo "$rc"
    expect_output "... within the deadline (${elapsed_ms} ms after jitd stopped)" "^yes$" \
        bash -c "[ $elapsed_ms -lt 3000 ] && echo yes"
    expect_output "... and says the record is missing" "jit: exit status not recorded" \
        cat "$WORLD/late.out"

    expect_output "explain --json --command: the matching pattern, for scripts" \
        "^$gid true /usr/bin/sh -c \\* allow \\[\"-c\",\"exit\"\\]$" \
        bash -c "'$JITCTL' --socket '$SOCK' --json explain nobody sudo --command '/usr/bin/sh -c exit' |
            jq -r '.command | [.grants[0].grant_id, .grants[0].allow, .grants[0].pattern, .decision,
                   (.args | tojson)] | join(\" \")'"
    expect_output "explain --json --command: why a command is refused" \
        "^false .*arguments match no pattern.* deny$" \
        bash -c "'$JITCTL' --socket '$SOCK' --json explain nobody sudo --command '/usr/bin/sh -x' |
            jq -r '.command | [.grants[0].allow, .grants[0].reason, .decision] | join(\" \")'"
    expect_exit 1 "explain --json --command: exit status 1 when sudo would refuse" \
        "$JITCTL" --socket "$SOCK" --json explain nobody sudo --command "/usr/bin/sh -x"

    jitctl revoke --user nobody --reason "next test" >/dev/null
    jitctl grant nobody --service sudo --for 10m --reason "jitd down test" \
        --command "/usr/bin/id -un" >/dev/null
    expect_output "before jitd stops the command runs" "^root$" \
        sudo_as nobody sudo /usr/bin/id -un
    stop_jitd TERM
    expect_output "jitd down: the managed account is refused" "jit: denied|PAM|not allowed" \
        sudo_as nobody sudo /usr/bin/id -un
    expect_output "jitd down: root is unaffected" "^root$" sudo_as root sudo /usr/bin/id -un
    expect_output "jitd down: the unmanaged admin is unaffected" "^root$" \
        sudo_as daemon sudo /usr/bin/id -un
    end_world
fi
