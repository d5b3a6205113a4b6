# Every unit passes systemd-analyze verify against the installed tree (its
# ExecStart= programs and Documentation= man pages must be there), and every
# service is hardened to an exposure of 2.0 or lower.
section "systemd units"
VROOT=$PKG_WORK/verify-root
cp -a "$ROOT" "$VROOT"
verify_root "$VROOT"
units=()
for f in "$VROOT"/lib/systemd/system/jit*; do units+=("${f##*/}"); done
out=$(MANPATH=$VROOT/usr/share/man systemd-analyze verify --root="$VROOT" "${units[@]}" 2>&1)
if [[ $? -eq 0 && -z $out ]]; then
    pass "systemd-analyze verify: ${units[*]}"
else
    fail "systemd-analyze verify: ${units[*]}" "$out"
fi

for unit in "${units[@]}"; do
    [[ $unit == *.service ]] || continue
    # The unit's score, for the log; --threshold=20 fails above 2.0.
    score=$(systemd-analyze security --offline=true --root="$VROOT" "$unit" 2>&1 |
        sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
    expect_exit 0 "$unit: systemd-analyze security exposure ${score:-?} <= 2.0" \
        systemd-analyze security --offline=true --root="$VROOT" --threshold=20 "$unit"
done

# The verifier must notice a unit whose program is missing; otherwise the
# pass above would mean nothing.
rm "$VROOT/usr/sbin/jitd"
expect_exit 1 "verify fails when ExecStart= names a missing program" \
    env MANPATH="$VROOT/usr/share/man" systemd-analyze verify --root="$VROOT" jitd.service

expect_output "jitd.socket: any user may connect (jitd authorises by SO_PEERCRED)" "^SocketMode=0666$" \
    grep '^SocketMode=' "$ROOT/lib/systemd/system/jitd.socket"
expect_output "jitd-root.socket: only root may connect (the PAM check door)" "^SocketMode=0600$" \
    grep '^SocketMode=' "$ROOT/lib/systemd/system/jitd-root.socket"
expect_output "jitd.service takes both sockets" "^Sockets=jitd.socket jitd-root.socket$" \
    grep '^Sockets=' "$ROOT/lib/systemd/system/jitd.service"
expect_output "jitd.service keeps one capability, CAP_KILL" "^CapabilityBoundingSet=CAP_KILL$" \
    grep '^CapabilityBoundingSet=' "$ROOT/lib/systemd/system/jitd.service"

TMPROOT=$PKG_WORK/tmpfiles-root
mkdir -p "$TMPROOT"
expect_exit 0 "tmpfiles.d/jit.conf applies (systemd-tmpfiles --create --root)" \
    systemd-tmpfiles --create --root="$TMPROOT" "$ROOT/usr/lib/tmpfiles.d/jit.conf"
modes=$(stat -c %a "$TMPROOT/var/lib/jit" "$TMPROOT/run/jit" 2>&1 | tr '\n' ' ')
if [[ $modes == "700 755 " ]]; then
    pass "it makes /var/lib/jit root-only (0700) and /run/jit 0755"
else
    fail "it makes /var/lib/jit root-only (0700) and /run/jit 0755" "$modes"
fi
if command -v systemd-sysusers >/dev/null; then
    mkdir -p "$TMPROOT/etc"
    : >"$TMPROOT/etc/group"
    : >"$TMPROOT/etc/passwd"
    expect_exit 0 "sysusers.d/jit.conf applies (systemd-sysusers --root)" \
        systemd-sysusers --root="$TMPROOT" "$ROOT/usr/lib/sysusers.d/jit.conf"
    expect_output "it creates the groups jit-managed and jit-admins, empty" \
        "^jit-managed:x:[0-9]+:$" grep '^jit-managed:' "$TMPROOT/etc/group"
    expect_output "  (jit-admins)" "^jit-admins:x:[0-9]+:$" grep '^jit-admins:' "$TMPROOT/etc/group"
else
    skip "sysusers.d" "systemd-sysusers is not installed"
fi
