# jit-jwks-refresh against real HTTPS servers on loopback, with a test CA
# made now: a good key set replaces the file atomically; http://, a redirect
# to http://, a document too large or too slow, not JSON, JSON without a
# usable key, an untrusted certificate and a 404 all keep the old file byte
# for byte and exit non-zero.
section "jit-jwks-refresh"
source tests/integration/jwks_lib.sh
REFRESH=$PWD/$BUILD/jit-jwks-refresh
JW=$(mktemp -d /tmp/jit-jwks.XXXXXX)
trap 'stop_https; rm -rf "$JW"; end_world; stop_test_journald' EXIT
mkdir -p "$JW/docs" "$JW/rogue-docs" "$JW/keys" "$JW/identity.d" "$JW/jwks"

if ! command -v openssl >/dev/null || ! make_test_pki "$JW/pki"; then
    fail "a test CA and server certificate are made with openssl" "$(cat "$JW/pki/openssl.log" 2>/dev/null)"
else
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$JW/keys/rsa.pem" 2>/dev/null
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$JW/keys/ec.pem" 2>/dev/null
    openssl genpkey -algorithm ED25519 -out "$JW/keys/ed.pem" 2>/dev/null
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$JW/keys/rsa1024.pem" 2>/dev/null
    RSA_JWK=$(jwk_of rsa "$JW/keys/rsa.pem" r1)
    EC_JWK=$(jwk_of p256 "$JW/keys/ec.pem" e1)
    ED_JWK=$(jwk_of ed25519 "$JW/keys/ed.pem" d1)
    jwks "$RSA_JWK" "$EC_JWK" "$ED_JWK" >"$JW/docs/good.json"
    jwks "$EC_JWK" >"$JW/docs/rotated.json"
    echo 'this is not JSON' >"$JW/docs/not-json.json"
    echo '{"keys": []}' >"$JW/docs/no-keys.json"
    echo '{"issuer": "x"}' >"$JW/docs/no-keys-member.json"
    jwks '{"kty":"oct","k":"c2VjcmV0"}' >"$JW/docs/secret.json"
    jwks "$(jwk_of rsa "$JW/keys/rsa1024.pem" weak)" >"$JW/docs/weak.json"
    jwks '{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}' >"$JW/docs/bad-point.json"
    printf '{"keys": [%s], "keys": []}\n' "$RSA_JWK" >"$JW/docs/duplicate.json"
    jwks '{"kty":"RSA","use":"enc","n":"AQAB","e":"AQAB"}' "$EC_JWK" >"$JW/docs/mixed.json"
    cp "$JW/docs/good.json" "$JW/rogue-docs/good.json"

    start_https "$JW/pki/server.pem" "$JW/pki/server.key" "$JW/docs" && PORT=$HTTPS_PORT
    start_https "$JW/pki/rogue.pem" "$JW/pki/rogue.key" "$JW/rogue-docs" && ROGUE_PORT=$HTTPS_PORT
    BASE=https://127.0.0.1:$PORT
    mkdir -p "$JW/docs/issuer/.well-known"
    printf '{"issuer": "%s/issuer", "jwks_uri": "%s/rotated.json"}\n' "$BASE" "$BASE" \
        >"$JW/docs/issuer/.well-known/openid-configuration"
    mkdir -p "$JW/docs/liar/.well-known"
    printf '{"issuer": "https://evil.example", "jwks_uri": "%s/good.json"}\n' "$BASE" \
        >"$JW/docs/liar/.well-known/openid-configuration"
    OLD='{"keys":[{"kty":"EC","note":"the set jitd has now"}]}'

    # issuer NAME URI: one issuer file whose key set is $JW/jwks/NAME.json,
    # holding the old set before each run.
    issuer() {
        rm -f "$JW"/identity.d/*.conf
        cat >"$JW/identity.d/$1.conf" <<CONF
[$1]
issuer    = ${3:-https://issuer.example}
audience  = jit:test            ; jitd's key, ignored by the refresh
jwks_file = $JW/jwks/$1.json
jwks_uri  = $2
CONF
        printf '%s\n' "$OLD" >"$JW/jwks/$1.json"
        cp "$JW/jwks/$1.json" "$JW/old.copy"
        OLD_INODE=$(stat -c %i "$JW/jwks/$1.json")
    }
    refresh() { "$REFRESH" --config-dir "$JW/identity.d" --ca-file "$JW/pki/ca.pem" "$@"; }

    # refused NAME URI WHY [REFRESH OPTIONS...]: the run exits 1, says WHY, and
    # leaves the old file byte for byte (same inode, no temporary left).
    refused() {
        local name=$1 uri=$2 why=$3 out rc
        shift 3
        issuer "$name" "$uri"
        out=$(refresh "$@" 2>&1)
        rc=$?
        if [[ $rc -eq 1 && $out =~ $why && $out == *"kept the old key set"* ]] &&
            cmp -s "$JW/jwks/$name.json" "$JW/old.copy" &&
            [[ $(stat -c %i "$JW/jwks/$name.json") == "$OLD_INODE" ]] &&
            [[ -z $(find "$JW/jwks" -name '*.tmp') ]]; then
            pass "$name: refused, old key set kept byte for byte, exit 1 ($why)"
        else
            fail "$name: refused, old key set kept byte for byte, exit 1 ($why)" "exit $rc: $out"
        fi
    }

    issuer good "$BASE/good.json"
    out=$(refresh --changed-mark "$JW/changed" 2>&1)
    rc=$?
    if [[ $rc -eq 0 ]] && cmp -s "$JW/jwks/good.json" "$JW/docs/good.json"; then
        pass "a good key set replaces the file, byte for byte what was served (exit 0)"
    else
        fail "a good key set replaces the file, byte for byte what was served (exit 0)" "exit $rc: $out"
    fi
    expect_output "... and says so, with the number of usable keys" "\[good\] replaced .* \(3 usable keys, 0 ignored\)" \
        echo "$out"
    [[ $(stat -c %i "$JW/jwks/good.json") != "$OLD_INODE" && -z $(find "$JW/jwks" -name '*.tmp') ]] &&
        pass "... by rename over the old file (a new inode, no temporary file left)" ||
        fail "... by rename over the old file (a new inode, no temporary file left)"
    expect_output "... readable by jitd whoever wrote it (0644)" "^644$" stat -c %a "$JW/jwks/good.json"
    expect_exit 0 "... and marks the change for the unit's reload of jitd" test -e "$JW/changed"
    rm -f "$JW/changed"
    inode=$(stat -c %i "$JW/jwks/good.json")
    out=$(refresh --changed-mark "$JW/changed" 2>&1)
    if [[ $? -eq 0 && $out == *"[good] unchanged"* && ! -e $JW/changed && $(stat -c %i "$JW/jwks/good.json") == "$inode" ]]; then
        pass "the same set again: unchanged, file not rewritten, no reload mark"
    else
        fail "the same set again: unchanged, file not rewritten, no reload mark" "$out"
    fi

    issuer mixed "$BASE/mixed.json"
    expect_output "keys for encryption are ignored, the signing key kept" "\(1 usable keys, 1 ignored\)" refresh
    issuer redirected "$BASE/to-https/good.json"
    expect_exit 0 "a redirect to https:// on the same server is followed" refresh
    issuer discovered discovery "$BASE/issuer"
    out=$(refresh 2>&1)
    if [[ $? -eq 0 ]] && cmp -s "$JW/jwks/discovered.json" "$JW/docs/rotated.json"; then
        pass "OIDC discovery: issuer/.well-known/openid-configuration -> jwks_uri -> replaced"
    else
        fail "OIDC discovery: issuer/.well-known/openid-configuration -> jwks_uri -> replaced" "$out"
    fi
    # discovery with an issuer whose document names another issuer
    rm -f "$JW"/identity.d/*.conf
    issuer liar discovery "$BASE/liar"
    out=$(refresh 2>&1)
    if [[ $? -eq 1 && $out == *"names another issuer"* ]] && cmp -s "$JW/jwks/liar.json" "$JW/old.copy"; then
        pass "discovery refuses a configuration that names another issuer; old set kept"
    else
        fail "discovery refuses a configuration that names another issuer; old set kept" "$out"
    fi

    refused plain-http "http://127.0.0.1:$PORT/good.json" "only https:// URLs"
    refused to-http "$BASE/to-http/good.json" "not https://, refused"
    refused oversize "$BASE/huge" "larger than 262144 bytes"
    refused small-cap "$BASE/good.json" "larger than 100 bytes" --max-bytes 100
    start=$(now_ms)
    refused slow "$BASE/slow/good.json" "within the limit of 1000 ms" --timeout-ms 1000
    elapsed=$(($(now_ms) - start))
    [[ $elapsed -lt 4000 ]] && pass "... the slow server is given up on at the limit (${elapsed} ms)" ||
        fail "... the slow server is given up on at the limit" "${elapsed} ms"
    refused not-json "$BASE/not-json.json" "not JSON"
    refused no-keys "$BASE/no-keys.json" "no usable signature key among 0 keys"
    refused no-keys-member "$BASE/no-keys-member.json" 'no "keys" array'
    refused secret "$BASE/secret.json" 'private member "k"'
    refused weak-rsa "$BASE/weak.json" "shorter than 2048 bits"
    refused bad-point "$BASE/bad-point.json" "not a P-256 coordinate"
    refused duplicate "$BASE/duplicate.json" 'duplicate key "keys"'
    refused untrusted "https://127.0.0.1:$ROGUE_PORT/good.json" "certificate"
    refused missing "$BASE/nothing-here.json" "HTTP status 404"
    refused closed-port "https://127.0.0.1:1/good.json" "127.0.0.1"

    # Two issuers, one failing: the good one is still refreshed (and marked
    # for reload), the other kept, and the run exits 1.
    issuer bad "$BASE/not-json.json"
    cat >"$JW/identity.d/zz-good.conf" <<CONF
[zz-good]
issuer    = https://issuer.example
jwks_file = $JW/jwks/zz-good.json
jwks_uri  = $BASE/good.json
CONF
    rm -f "$JW/changed" "$JW/jwks/zz-good.json"
    refresh --changed-mark "$JW/changed" >/dev/null 2>&1
    rc=$?
    if [[ $rc -eq 1 ]] && cmp -s "$JW/jwks/bad.json" "$JW/old.copy" &&
        cmp -s "$JW/jwks/zz-good.json" "$JW/docs/good.json" && [[ -e $JW/changed ]]; then
        pass "one issuer failing: the others are refreshed and marked, the run exits 1"
    else
        fail "one issuer failing: the others are refreshed and marked, the run exits 1" "exit $rc"
    fi
    out=$(refresh --issuer zz-good 2>&1)
    expect_output "--issuer NAME refreshes only that issuer" "^jit-jwks-refresh: \[zz-good\] unchanged" echo "$out"

    # An issuer without jwks_uri is shipped by hand: left alone.
    printf '[byhand]\nissuer = https://x.example\njwks_file = %s/jwks/byhand.json\n' "$JW" \
        >"$JW/identity.d/"byhand.conf
    rm -f "$JW/identity.d/bad.conf" "$JW/identity.d/zz-good.conf"
    expect_output "an issuer without jwks_uri is left alone" "nothing to refresh" refresh
    printf '[x]\njwks_file = relative.json\njwks_uri = %s/good.json\n' "$BASE" >"$JW/identity.d/byhand.conf"
    expect_output "a relative jwks_file is refused" "jwks_file: not an absolute path" refresh
    printf '[x]\n[x]\n' >"$JW/identity.d/byhand.conf"
    expect_exit 2 "an unreadable configuration is an error for the whole run (exit 2)" refresh
    expect_exit 2 "a missing configuration directory: exit 2" "$REFRESH" --config-dir "$JW/nowhere"
    stop_https
fi
rm -rf "$JW"
trap 'end_world; stop_test_journald' EXIT
