# Real programs resolving through libnss_jit.so.2 under nss_wrapper
# (NSS_WRAPPER_MODULE_SO_PATH, NSS_WRAPPER_MODULE_FN_PREFIX=jit): getent, id,
# and Python's pwd.getpwnam / os.getgrouplist, which call glibc's getpwnam and
# getgrouplist.  nss_wrapper's own passwd and group files play `files`, so
# this is `passwd: files jit`.  Sourced by tests/nss/run.

nss_lib=$(find /usr/lib /lib -name libnss_wrapper.so -print -quit 2>/dev/null)

# in_nss CMD...: runs CMD with the module behind nss_wrapper's files.
in_nss() {
    LD_PRELOAD=$nss_lib NSS_WRAPPER_PASSWD=$work/passwd NSS_WRAPPER_GROUP=$work/group \
        NSS_WRAPPER_MODULE_SO_PATH=$PWD/$module NSS_WRAPPER_MODULE_FN_PREFIX=jit \
        JIT_NSS_SNAPSHOT=$work/wrapper.snapshot "$@"
}

# expect NAME WANTED CMD...: passes when CMD prints exactly WANTED and exits 0.
expect() {
    local name=$1 want=$2 got
    shift 2
    got=$("$@" 2>&1)
    local rc=$?
    if [ $rc -eq 0 ] && [ "$got" = "$want" ]; then pass "$name"; else flunk "$name" "exit $rc, got: $got"; fi
}

# expect_exit NAME CODE CMD...
expect_exit() {
    local name=$1 want=$2 got
    shift 2
    got=$("$@" 2>&1)
    local rc=$?
    if [ $rc -eq "$want" ]; then pass "$name"; else flunk "$name" "exit $rc, wanted $want: $got"; fi
}

wrapper_checks() {
    echo "[==========] real programs through nss_wrapper"
    if [ -z "$nss_lib" ]; then
        flunk "libnss_wrapper.so is installed (apt-get install libnss-wrapper)"
        return
    fi
    printf 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice:/home/alice:/bin/bash\n' >"$work/passwd"
    printf 'root:x:0:\nalice:x:1000:\n' >"$work/group"
    JIT_NSS_SNAPSHOT=$work/wrapper.snapshot "$mksnapshot" "$work/wrapper.snapshot" <<'SPEC' || flunk "mksnapshot"
group jit-ops 62000
account deploy 61000 62100 granted gecos=Deploy home=/srv/deploy shell=/bin/bash
account later 61001 62101 granted
account svc 61002 62102 always groups=jit-ops
grant deploy -60 +3600 groups=jit-ops
grant later +3600 +7200 groups=jit-ops
grant alice -60 +3600 groups=jit-ops
SPEC

    expect "getent passwd NAME: a granted account" \
        "deploy:x:61000:62100:Deploy:/srv/deploy:/bin/bash" in_nss getent passwd deploy
    expect "getent passwd UID" "deploy:x:61000:62100:Deploy:/srv/deploy:/bin/bash" in_nss getent passwd 61000
    expect_exit "getent passwd NAME: an account whose grant has not started is absent" 2 in_nss getent passwd later
    expect "getent passwd: files first, then jit's visible accounts" \
        "root alice deploy svc" in_nss sh -c "getent passwd | cut -d: -f1 | tr '\n' ' ' | sed 's/ \$//'"
    expect "getent group: a jit group with its members now" \
        "jit-ops:x:62000:alice,deploy,svc" in_nss getent group jit-ops
    expect "getent group: an account's private group" "deploy:x:62100:" in_nss getent group deploy
    expect "id: a jit account and its jit group" \
        "uid=61000(deploy) gid=62100(deploy) groups=62100(deploy),62000(jit-ops)" in_nss id deploy
    expect "id: an account from files in a jit group by grant" \
        "uid=1000(alice) gid=1000(alice) groups=1000(alice),62000(jit-ops)" in_nss id alice
    expect "getpwnam (glibc, through Python's pwd)" "61000 /srv/deploy" \
        in_nss python3 -c 'import pwd; p = pwd.getpwnam("deploy"); print(p.pw_uid, p.pw_dir)'
    expect "getgrouplist (glibc, through Python's os)" "[1000, 62000]" \
        in_nss python3 -c 'import os; print(sorted(os.getgrouplist("alice", 1000)))'
    expect "getgrnam (glibc, through Python's grp)" "['alice', 'deploy', 'svc']" \
        in_nss python3 -c 'import grp; print(grp.getgrnam("jit-ops").gr_mem)'

    # The snapshot gone: jit's accounts vanish, files keep answering.
    mv "$work/wrapper.snapshot" "$work/wrapper.snapshot.away"
    expect_exit "snapshot missing: getent passwd deploy finds nothing" 2 in_nss getent passwd deploy
    expect "snapshot missing: files still answer" "root:x:0:0:root:/root:/bin/bash" in_nss getent passwd root
    expect "snapshot missing: id alice loses the jit group only" \
        "uid=1000(alice) gid=1000(alice) groups=1000(alice)" in_nss id alice
    mv "$work/wrapper.snapshot.away" "$work/wrapper.snapshot"
}
