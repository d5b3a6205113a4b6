# The journal catalog compiles, lists one entry per MESSAGE_ID, and
# `journalctl -x` shows its explanation, fields filled in, next to jitd's
# own entries.
section "journal catalog"
CROOT=$PKG_WORK/catalog-root
mkdir -p "$CROOT/usr/lib/systemd"
cp -a "$ROOT/usr/lib/systemd/catalog" "$CROOT/usr/lib/systemd/"
DB=$CROOT/var/lib/systemd/catalog/database
expect_exit 0 "journalctl --update-catalog compiles it (in a --root)" \
    journalctl --root="$CROOT" --update-catalog
listed=$(journalctl --root="$CROOT" --list-catalog 2>&1)
missing=()
while read -r id; do
    grep -q "^$id " <<<"$listed" || missing+=("$id")
done < <(sed -n 's/^-- \([0-9a-f]\{32\}\)$/\1/p' systemd/catalog/jit.catalog)
if [[ ${#missing[@]} -eq 0 && $(wc -l <<<"$listed") -eq $(grep -c '^-- ' systemd/catalog/jit.catalog) ]]; then
    pass "--list-catalog lists every entry ($(wc -l <<<"$listed"))"
else
    fail "--list-catalog lists every entry" "missing: ${missing[*]}; listed: $listed"
fi

if ! ensure_journald; then
    skip "journalctl -x" "no journald socket and cannot start a standalone systemd-journald (needs root)"
elif [[ ! -f /var/lib/systemd/catalog/database ]] || ! command -v unshare >/dev/null; then
    skip "journalctl -x" "needs unshare and a host catalog database to bind ours over"
else
    new_world
    start_jitd
    jitctl grant deploy --service sshd --for 15m --reason "release 4.2" >/dev/null
    ID=$(grant_field id)
    jitctl check deploy sudo >/dev/null
    # journalctl -x reads the one catalog database of the host: show it ours
    # in a private mount namespace.
    X() {
        unshare -m --propagation private sh -c 'mount --bind "$1" /var/lib/systemd/catalog/database &&
            shift && exec journalctl --no-pager -x -o short "$@"' sh "$DB" "_PID=$JITD_PID" "$@"
    }
    for _ in $(seq 30); do [[ -n $(X JIT_EVENT=decision) ]] && break; sleep 0.1; done
    expect_output "journalctl -x explains a grant, with its fields" \
        "Subject: jit grant $ID created for deploy.*may use the PAM services sshd" X JIT_EVENT=grant
    expect_output "journalctl -x explains a denial, with the reason" \
        "Subject: jit access decision for deploy on sudo: deny.*The answer was deny: no grant for deploy covers service sudo" \
        X JIT_EVENT=decision
    expect_output "journalctl -x explains the start" "Subject: jitd started" X JIT_EVENT=start
    end_world
fi
