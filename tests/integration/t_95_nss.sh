# NSS accounts end to end: a real jitd writes the snapshot, real programs
# (getent, id, Python's pwd/grp/os, pamtester) resolve through the real
# libnss_jit.so.2 under nss_wrapper, and accounts and jit group memberships
# appear when a grant starts and vanish when it ends, is revoked, or runs out
# while jitd is dead.
NSS_SO=$PWD/$BUILD/libnss_jit.so.2
NSS_WRAPPER_LIB=$(find /usr/lib /lib -name libnss_wrapper.so -print -quit 2>/dev/null)

# in_nss CMD...: CMD resolving through nss_wrapper's files, then jit.
in_nss() {
    LD_PRELOAD=$NSS_WRAPPER_LIB NSS_WRAPPER_PASSWD=$WORLD/passwd NSS_WRAPPER_GROUP=$WORLD/group \
        NSS_WRAPPER_MODULE_SO_PATH=$NSS_SO NSS_WRAPPER_MODULE_FN_PREFIX=jit \
        JIT_NSS_SNAPSHOT=$WORLD/nss.snapshot "$@"
}
resolves() { in_nss getent passwd "$1" >/dev/null 2>&1; }

# wait_until SECONDS CMD...: polls CMD every 50 ms; prints the ms it first succeeded.
wait_until() {
    local deadline=$(( $(now_ms) + $1 * 1000 ))
    shift
    while (( $(now_ms) < deadline )); do
        if "$@"; then now_ms; return 0; fi
        sleep 0.05
    done
    return 1
}

nss_world() {
    new_world
    cat >>"$CONF" <<CONF
[nss]
snapshot = $WORLD/nss.snapshot
uid_range = 60500-60599
gid_range = 60600-60699
groups = jit-ops
[account svc]
visible = always
groups = jit-ops
CONF
    printf 'root:x:0:0:root:/root:/bin/bash\nbackup:x:1001:1001::/home/backup:/bin/sh\n' >"$WORLD/passwd"
    printf 'root:x:0:\nbackup:x:1001:\n' >"$WORLD/group"
}

section "nss: jitd writes the snapshot; accounts from jitd.conf and jitctl"
# jit-ops (from [nss] groups) takes the first gid, so svc's private group gets the next.
if [[ -z $NSS_WRAPPER_LIB ]]; then
    fail "nss: libnss_wrapper.so is installed" "apt-get install libnss-wrapper"
else
nss_world
start_jitd
expect_output "snapshot: written at start, world-readable, not writable by others" \
    '^-rw-r--r--$' stat -c %A "$WORLD/nss.snapshot"
expect_output "getent passwd: a jitd.conf account with visible = always" \
    '^svc:x:60500:60601::/home/svc:/bin/sh$' in_nss getent passwd svc
expect_output "jitctl account add: allocates from the ranges" \
    '^added account deploy: uid 60501, gid 60602, visible granted$' \
    jitctl account add deploy --gecos "Deploy bot" --shell /bin/bash
expect_exit 2 "getent passwd: a granted account without a grant does not exist" \
    in_nss getent passwd deploy
expect_exit 6 "jitctl account add: a name the system already resolves is refused" \
    jitctl account add root
expect_output "jitctl account list: both, with where they come from" \
    'deploy +60501 +60602 +granted +- +/home/deploy +/bin/bash +jitctl.*svc +60500 +60601 +always +jit-ops' \
    jitctl account list
expect_output "getent group: the standing member of a jit group" \
    '^jit-ops:x:60600:svc$' in_nss getent group jit-ops

section "nss: visibility flips at the grant's start and end"
now=$(date +%s)
from=$((now + 2)) until=$((now + 4))
jitctl grant deploy --service sshd --from "@$from" --until "@$until" --reason "window" >/dev/null
if resolves deploy; then fail "before not_before: deploy does not resolve"; else pass "before not_before: deploy does not resolve"; fi
appeared=$(wait_until 5 resolves deploy)
if [[ -n $appeared ]] && (( appeared >= from * 1000 && appeared < from * 1000 + 1000 )); then
    pass "deploy resolves from not_before on (+$((appeared - from * 1000)) ms)"
else
    fail "deploy resolves from not_before on" "appeared at ${appeared:-never}, not_before ${from}000"
fi
expect_output "getent passwd: inside the window" \
    '^deploy:x:60501:60602:Deploy bot:/home/deploy:/bin/bash$' in_nss getent passwd deploy
expect_exit 0 "PAM: deploy let in over sshd inside the window" pam deploy sshd
gone=$(wait_until 5 sh -c "! LD_PRELOAD=$NSS_WRAPPER_LIB NSS_WRAPPER_PASSWD=$WORLD/passwd NSS_WRAPPER_GROUP=$WORLD/group NSS_WRAPPER_MODULE_SO_PATH=$NSS_SO NSS_WRAPPER_MODULE_FN_PREFIX=jit JIT_NSS_SNAPSHOT=$WORLD/nss.snapshot getent passwd deploy >/dev/null")
if [[ -n $gone ]] && (( gone >= until * 1000 && gone < until * 1000 + 1000 )); then
    pass "deploy vanishes at not_after (+$((gone - until * 1000)) ms)"
else
    fail "deploy vanishes at not_after" "gone at ${gone:-never}, not_after ${until}000"
fi
# jitd's timers have sd-event's default accuracy (250 ms); the module needs none.
rewritten() { (( $(stat -c %Y "$WORLD/nss.snapshot") >= until )); }
if wait_until 2 rewritten >/dev/null; then pass "jitd rewrote the snapshot at the edge"
else fail "jitd rewrote the snapshot at the edge" "mtime $(stat -c %Y "$WORLD/nss.snapshot") < $until"; fi

section "nss: jit group membership for the grant's window"
jitctl grant deploy --service sudo --group jit-sudo --for 3s --reason "sudo window" >/dev/null
expect_output "id: the jit group while the grant lasts" \
    '^uid=60501\(deploy\) gid=60602\(deploy\) groups=60602\(deploy\),60603\(jit-sudo\)$' in_nss id deploy
expect_output "getent group: the grant's user is a member" '^jit-sudo:x:60603:deploy$' \
    in_nss getent group jit-sudo
jitctl grant backup --service sudo --group jit-sudo --for 3s --reason "files account" >/dev/null
expect_output "getgrouplist: an /etc/passwd account in a jit group by grant" '^\[1001, 60603\]$' \
    in_nss python3 -c 'import os; print(sorted(os.getgrouplist("backup", 1001)))'
expect_output "getgrnam: both members" "^\['backup', 'deploy'\]$" \
    in_nss python3 -c 'import grp; print(grp.getgrnam("jit-sudo").gr_mem)'
sleep 3.2
expect_output "getent group: members gone when the grants end" '^jit-sudo:x:60603:$' \
    in_nss getent group jit-sudo
expect_output "id: the jit group gone" '^uid=1001\(backup\) gid=1001\(backup\) groups=1001\(backup\)$' \
    in_nss id backup

section "nss: revocation, removal and a dead jitd"
jitctl grant deploy --service sshd --for 10m --reason "revoke me" >/dev/null
expect_exit 0 "granted: deploy resolves" in_nss getent passwd deploy
jitctl revoke --user deploy >/dev/null
expect_exit 2 "revoked: deploy is gone at once" in_nss getent passwd deploy

jitctl grant deploy --service sshd --for 3s --reason "outlive jitd" >/dev/null
stop_jitd KILL
expect_exit 0 "jitd killed: deploy still resolves inside its grant" in_nss getent passwd deploy
sleep 3.2
expect_exit 2 "jitd dead: deploy vanishes when the grant ends, by the module's clock" \
    in_nss getent passwd deploy
start_jitd
expect_output "jitctl account remove: removes" '^removed account deploy' jitctl account remove deploy
expect_output "jitctl account add: the same name gets its uid back" \
    '^added account deploy: uid 60501, gid 60602' jitctl account add deploy
expect_output "jitctl account add: a new name never gets a used uid" \
    '^added account ci: uid 60502,' jitctl account add ci

mv "$WORLD/nss.snapshot" "$WORLD/nss.snapshot.away"
expect_exit 2 "snapshot missing: svc vanishes" in_nss getent passwd svc
expect_output "snapshot missing: files still answer" '^root:x:0:0' in_nss getent passwd root
mv "$WORLD/nss.snapshot.away" "$WORLD/nss.snapshot"
end_world
fi

section "nss: who may declare accounts (SO_PEERCRED)"
if [[ $(id -u) -ne 0 ]] || ! command -v setpriv >/dev/null; then
    skip "nss permissions" "needs root and setpriv to act as other uids"
else
    nss_world
    chmod 0755 "$WORLD"
    start_jitd
    as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
    expect_exit 4 "nobody may not add an account" \
        as_nobody "$JITCTL" --socket "$SOCK" account add mallory --uid 60550
    expect_exit 4 "nobody may not remove one" as_nobody "$JITCTL" --socket "$SOCK" account remove svc
    expect_exit 4 "nobody may not grant a jit group" \
        as_nobody "$JITCTL" --socket "$SOCK" grant backup --service sudo --group jit-sudo --for 5m --reason x
    expect_exit 0 "nobody may list accounts" as_nobody "$JITCTL" --socket "$SOCK" account list
    expect_exit 2 "and nothing changed: mallory does not exist" in_nss getent passwd mallory
    expect_output "the snapshot is still root's and read-only to others" '^-rw-r--r-- root$' \
        stat -c '%A %U' "$WORLD/nss.snapshot"
    expect_exit 0 "nobody's own processes resolve through root's snapshot" \
        as_nobody env LD_PRELOAD="$NSS_WRAPPER_LIB" NSS_WRAPPER_PASSWD="$WORLD/passwd" \
        NSS_WRAPPER_GROUP="$WORLD/group" NSS_WRAPPER_MODULE_SO_PATH="$NSS_SO" \
        NSS_WRAPPER_MODULE_FN_PREFIX=jit JIT_NSS_SNAPSHOT="$WORLD/nss.snapshot" getent passwd svc
    end_world
fi
