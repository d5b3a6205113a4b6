# Command-scoped sudo on the booted host, with the installed packages: the
# jit_sudo.so line libpam-jit put into /etc/sudo.conf, a policy rule naming
# the commands, a request for one of them, and real sudo over real ssh as
# the managed account deploy (s_10's).  A real web.service is restarted.

# deploy_sudo_grant: "id uses_left" of deploy's sudo grant in force.
deploy_sudo_grant() {
    in_host jitctl --json list --user deploy |
        jq -r '.grants[] | select(.services == ["sudo"]) | "\(.id) \(.uses_left)"'
}
# web_invocation: systemd's id for the current run of web.service; a
# restart changes it.
web_invocation() { in_host systemctl show -P InvocationID web.service; }
# command_entries DECISION COMMAND: journal entries of deploy's sudo command
# decisions, "grant runas" per line.
# journald takes a moment to store an entry: waits up to 5 s for at least
# MIN (default 1) of them.
command_entries() {
    local i out
    for i in $(seq 50); do
        out=$(journal_json SYSLOG_IDENTIFIER=jitd JIT_EVENT=decision JIT_USER=deploy JIT_DECISION="$1" |
            jq -r --arg c "$2" 'select(.JIT_COMMAND == $c) | "\(.JIT_GRANT_ID) \(.JIT_RUNAS)"')
        [[ $(grep -c . <<<"$out") -ge ${3:-1} ]] && break
        sleep 0.1
    done
    printf '%s\n' "$out"
}
# refused_trick NAME WANT CMD: deploy's `sudo CMD` over ssh is refused and
# says WANT (a regular expression).
refused_trick() {
    local name=$1 want=$2 out
    shift 2
    if out=$(ssh_as deploy "$@" 2>&1); then
        fail "$name" "it ran: $out"
    elif [[ $out =~ $want ]]; then
        pass "$name"
    else
        fail "$name" "refused, but not saying /$want/: $out"
    fi
}

section "11. command-scoped sudo: exactly the granted command, each one journaled"
in_host jitctl revoke --user deploy >/dev/null 2>&1
expect_eq "sudo.conf: the package's one marked jit_approval line, for jit-managed" "1 1" \
    "$(in_host grep -c -x '# jit: approval plugin, managed by libpam-jit (removed with it)' /etc/sudo.conf) $(
        in_host grep -c -E '^Plugin jit_approval /usr/lib/[^ ]+/jit/jit_sudo\.so managed_groups=jit-managed( |$)' /etc/sudo.conf)"

# A real service to restart; no start limit, the story restarts it often.
in_host_sh 'cat > /etc/systemd/system/web.service' <<'UNIT'
[Unit]
Description=the web service of the sudo story
StartLimitIntervalSec=0
[Service]
ExecStart=/bin/sleep infinity
UNIT
in_host systemctl daemon-reload
in_host systemctl start web.service
in_host useradd --system --no-create-home postgres
in_host jitctl grant deploy --service sshd --for 15m --reason "ssh for the sudo story" >/dev/null
expect_ok "jitd reloaded with the rule web-restart" \
    put_policy 50-web.conf web-restart sudo <<'POLICY'
[web-restart]
accounts = deploy
services = sudo
commands = /usr/bin/systemctl restart web.service, /usr/bin/journalctl -u web.service --since *
runas    = root
duration = 1m..15m
uses     = 5
approval = auto
POLICY
refused_trick "control: no sudo grant yet, deploy's sudo systemctl restart is refused" "." \
    sudo -n systemctl restart web.service

out=$(ssh_as deploy "jitctl request deploy --service sudo \
    --command '/usr/bin/systemctl restart web.service' --for 10m --reason 'deploy 4711'" 2>&1)
read -r GRANT left <<<"$(deploy_sudo_grant)"
if [[ $GRANT == g-* && $left == 5 ]]; then
    pass "deploy's own jitctl request --command is approved by policy: grant $GRANT, 5 uses"
else
    fail "deploy's own jitctl request --command is approved by policy" "$out; grant: '$GRANT $left'"
fi
expect_eq "jitctl list: the grant is scoped to the one command it asked for, as root" \
    '[["/usr/bin/systemctl restart web.service"],["root"]]' \
    "$(in_host jitctl --json list --user deploy |
        jq -c --arg g "$GRANT" '.grants[] | select(.id == $g) | [.commands, .runas]')"

before=$(web_invocation)
expect_ok "sudo systemctl restart web.service as deploy: allowed" \
    ssh_as deploy sudo -n systemctl restart web.service
after=$(web_invocation)
if [[ -n $before && -n $after && $before != "$after" ]]; then
    pass "web.service was restarted (invocation $before -> $after)"
else
    fail "web.service was restarted" "invocation '$before' -> '$after'"
fi
expect_eq "journal: the decision names the command, the grant and the runas user" "$GRANT root" \
    "$(command_entries allow '/usr/bin/systemctl restart web.service' | head -1)"
expect_eq "one use spent" "4" "$(deploy_sudo_grant | cut -d' ' -f2)"

refused_trick "sudo systemctl stop web.service: refused, not in the grant's commands" \
    "jit: denied.*arguments match no pattern" sudo -n systemctl stop web.service
expect_eq "web.service still runs" active "$(in_host systemctl is-active web.service)"
expect_eq "journal: the refusal names the command and the grant that came closest" "$GRANT root" \
    "$(command_entries deny '/usr/bin/systemctl stop web.service' | head -1)"
out=$(in_host jitctl explain deploy sudo --command "/usr/bin/systemctl stop web.service" 2>&1)
if [[ $out == *"arguments match no pattern"* && $out == *"sudo would refuse it"* ]]; then
    pass "jitctl explain --command says why sudo systemctl stop is refused"
else
    fail "jitctl explain --command says why sudo systemctl stop is refused" "$out"
fi
refused_trick "sudo -u postgres: refused, runas not granted" "jit: denied.*may not run as postgres" \
    sudo -n -u postgres systemctl restart web.service
expect_eq "journal: the refusal names runas postgres" "$GRANT postgres" \
    "$(command_entries deny '/usr/bin/systemctl restart web.service' | grep postgres | head -1)"

# Path tricks.  Debian's sudoers has secure_path, so sudo looks commands up
# there and not in the account's PATH; a path given outright is used as is.
in_host runuser -u deploy -- sh -c 'mkdir -p ~/bin && ln -sf /usr/bin/systemctl ~/bin/systemctl &&
    ln -sf /usr/bin/systemctl ~/bin/sc'
refused_trick "/usr/bin/../bin/systemctl: refused" "jit: denied.*/usr/bin/\.\./bin/systemctl is not among" \
    sudo -n /usr/bin/../bin/systemctl restart web.service
refused_trick "a symbolic link to systemctl in deploy's ~/bin, by its path: refused" \
    "jit: denied.*/home/deploy/bin/systemctl is not among" \
    sudo -n /home/deploy/bin/systemctl restart web.service
refused_trick "the same program under another name (~/bin/sc): refused" "jit: denied.*bin/sc is not among" \
    sudo -n /home/deploy/bin/sc restart web.service
expect_eq "with ~/bin first in deploy's PATH, sudo still resolves systemctl to /usr/bin/systemctl" \
    /usr/bin/systemctl "$(ssh_as deploy 'PATH=$HOME/bin:$PATH sudo -n -l systemctl' 2>&1)"
refused_trick "sudo -E: refused" "jit: denied.*-E" sudo -n -E systemctl restart web.service
refused_trick "sudo NAME=value: refused" "jit: denied.*SYSTEMD_LOG_LEVEL" \
    sudo -n SYSTEMD_LOG_LEVEL=debug systemctl restart web.service
refused_trick "sudo -s: refused" "jit: denied.*shell" sudo -n -s systemctl restart web.service
# sudo -i asks PAM as the service sudo-i on Debian, which a sudo grant does
# not cover: refused there, before the plugin would refuse the shell.
refused_trick "sudo -i: refused" "PAM account management error|jit: denied.*shell" \
    sudo -n -i systemctl restart web.service
refused_trick "sudoedit: refused" "jit: denied.*sudoedit" EDITOR=/bin/true sudoedit -n /etc/hostname
refused_trick "the command and its arguments as one word: refused" "jit: denied" \
    sudo -n systemctl "'restart web.service'"
expect_eq "no refusal spent a use" "4" "$(deploy_sudo_grant | cut -d' ' -f2)"

allowed=0
for _ in 1 2 3 4; do ssh_as deploy sudo -n systemctl restart web.service && allowed=$((allowed + 1)); done
expect_eq "four more restarts spend the other four uses" "4 0" "$allowed $(deploy_sudo_grant | cut -d' ' -f2)"
refused_trick "uses exhausted: the sixth restart is refused" "." sudo -n systemctl restart web.service
expect_eq "journal: five allowed restarts under the grant" "5" \
    "$(command_entries allow '/usr/bin/systemctl restart web.service' 5 | grep -c "^$GRANT root$")"
expect_ok "jitctl check says why: no use left" \
    bash -c "$(declare -f in_host); HOST_PID=$HOST_PID; in_host jitctl check deploy sudo | grep -q 'no use left'"

expect_eq "root's sudo is unaffected" root "$(in_host sudo -n /usr/bin/id -un 2>&1)"
expect_ok "the unmanaged admin's sudo is unaffected: any command, no grant" \
    ssh_as admin sudo -n systemctl stop web.service
expect_eq "  (it ran: web.service is stopped)" inactive "$(in_host systemctl is-active web.service)"
expect_eq "journal: no command decision for root or admin" "0" \
    "$(journal_json SYSLOG_IDENTIFIER=jitd JIT_EVENT=decision JIT_SERVICE=sudo |
        jq -r 'select(.JIT_COMMAND != null and (.JIT_USER == "root" or .JIT_USER == "admin"))' | grep -c JIT_COMMAND)"

in_host jitctl revoke --user deploy >/dev/null
drop_policy 50-web.conf web-restart sudo || fail "jitd reloaded without the rule"
