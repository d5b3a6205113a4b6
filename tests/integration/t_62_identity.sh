# Workload identity through the real jitd and jitctl: an OIDC token minted
# now (jwt-mint, keys made by openssl at test time) asks for a grant with
# jitctl request --id-token; jitd verifies it against identity.d and the
# issuer's JWKS file, judges the rules for that issuer, binds the grant to the
# workload, journals who it was (never the token), and refuses a second use,
# also after a restart.  Key rotation by SIGHUP; a key set jitd cannot read
# denies; explain --id-token names the claim that fails.
source tests/integration/policy_lib.sh

MINT=$PWD/$BUILD/tests/jwt-mint
ISS=https://token.actions.githubusercontent.com

# id_world: a policy world with identity.d, an RSA key (kid k1) in the JWKS.
id_world() {
    policy_world
    chmod 0755 "$WORLD"
    IDDIR=$WORLD/identity.d KEYS=$WORLD/keys TOK=$WORLD/tokens
    mkdir -m 0755 "$IDDIR" "$KEYS" "$TOK"
    sed -i "s|^\[jitd\]$|[jitd]\nidentity_dir = $IDDIR|" "$CONF"
    cat >"$IDDIR/github.conf" <<CONF
[github]
issuer     = $ISS
audience   = jit:test-host
jwks_file  = $KEYS/github.json
algorithms = RS256, ES256
CONF
    chmod 0644 "$IDDIR/github.conf"
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$KEYS/rsa.pem" 2>/dev/null
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$KEYS/p256.pem" 2>/dev/null
    "$MINT" jwks --key "$KEYS/rsa.pem" --kid k1 --out "$KEYS/github.json"
    chmod 0644 "$KEYS/github.json"
}

# mint FILE [jwt-mint options]: a token from the CI job of acme/web on main
# (RS256, kid k1) into FILE, 0600; options are added (or override the key,
# alg, kid and times).  REF=... and AUD=... before it change the branch and
# the audience.
mint() {
    local file=$TOK/$1
    shift
    "$MINT" token --key "$KEYS/rsa.pem" --alg RS256 --kid k1 --iss "$ISS" \
        --aud "${AUD:-jit:test-host}" --sub repo:acme/web:ref:refs/heads/main \
        --claim repository=acme/web --claim "ref=${REF:-refs/heads/main}" \
        --claim runner_environment=github-hosted "$@" >"$file"
    chmod 0600 "$file"
}

# id_request ACCOUNT TOKEN-FILE [more]: a token request for ACCOUNT on sshd.
id_request() {
    local account=$1 file=$TOK/$2
    shift 2
    jitctl request "$account" --service sshd --for 10m --reason "run 4711" --id-token "$file" "$@"
}

J() { journalctl --no-pager -o json "_PID=$JITD_PID" "$@"; }

# login ACCOUNT TOKEN-FILE: pam_jit's auth phase (the token as the answer to
# its prompt) and then its account phase, from 192.0.2.7; exit 0 = in.
login() {
    LD_PRELOAD=$PAM_WRAPPER_LIB PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR=$PAMDIR \
        pamtester -I rhost=192.0.2.7 sshd-token "$1" authenticate acct_mgmt <"$TOK/$2"
}
write_token_service() {
    cat >"$PAMDIR/sshd-token" <<PAM
auth required $PAM_SO socket=$SOCK server_uid=$(id -u) timeout_ms=2000 managed_users=deploy,backup token
account required $PAM_SO socket=$SOCK server_uid=$(id -u) timeout_ms=1000 managed_users=deploy,backup
account required $PAM_DIR_SYSTEM/pam_permit.so
PAM
}

section "identity: a CI job's token becomes a grant bound to it"
if ! ensure_journald; then
    skip "identity" "needs journald (the journal fields are part of the scenario)"
elif ! can_make_users; then
    skip "identity" "needs root, useradd and setpriv (approvers are real users)"
else
    make_test_users || fail "creating the test users and group"
    id_world
    write_policy 10-identity <<'POLICY'
[deploy-from-main]
accounts = deploy
services = sshd, sudo
identity = github
claims   = repository=acme/web, ref=refs/heads/main
duration = 1m..30m
approval = auto

[backup-approved]
accounts = backup
services = sshd
identity = github
claims   = repository=acme/web
duration = 1m..30m
approval = 1 of @jitt-approvers
POLICY
    start_jitd
    expect_log "jitd read the issuer and its key" "identity: 1 issuer\(s\) from .*, 1 key\(s\)"

    mint good
    expect_output "request --id-token: approved by the identity rule" \
        "approved: grant g-[0-9a-z]{8}" id_request deploy good
    expect_exit 0 "PAM: deploy is allowed on sshd" pam deploy sshd
    jitctl --json list >"$WORLD/list.json"
    got=$(jq -r '.grants[0].identity | [.name, .issuer, .subject, (.claims | join(","))] | join("|")' "$WORLD/list.json")
    want="github|$ISS|repo:acme/web:ref:refs/heads/main|repository=acme/web,ref=refs/heads/main"
    if [[ $got == "$want" ]]; then pass "list --json: the grant carries issuer, subject and the matched claims"
    else fail "list --json: the grant carries issuer, subject and the matched claims" "got '$got'"; fi
    expect_output "list: a WORKLOAD column names the job" \
        "WORKLOAD.*repo:acme/web:ref:refs/heads/main \(github, $ISS\) repository=acme/web, ref=refs/heads/main" \
        jitctl list
    RID=$(jitctl --json list --requests 2>/dev/null | jq -r '.requests[0].id' 2>/dev/null)
    [[ $RID == r-* ]] || RID=$(J JIT_EVENT=request-approved | tail -1 | jq -r .JIT_REQUEST_ID)
    expect_output "show: the request names the workload and its claims" \
        "workload +repo:acme/web:ref:refs/heads/main \(github, .*claims +repository=acme/web, ref=refs/heads/main" \
        jitctl show "$RID"

    e=$(J JIT_EVENT=grant | tail -1)
    got=$(jq -r '[.JIT_IDENTITY_ISSUER, .JIT_IDENTITY_SUBJECT, .JIT_IDENTITY_CLAIMS] | join("|")' <<<"$e")
    if [[ $got == "$ISS|repo:acme/web:ref:refs/heads/main|repository=acme/web, ref=refs/heads/main" ]]; then
        pass "journal: the grant entry names issuer, subject and claims"
    else fail "journal: the grant entry names issuer, subject and claims" "got '$got'"; fi
    digest=$(tr -d '\n' <"$TOK/good" | sha256sum | cut -d' ' -f1)
    if [[ $(jq -r .JIT_TOKEN_DIGEST <<<"$e") == "$digest" ]]; then pass "journal: JIT_TOKEN_DIGEST is the token's SHA-256"
    else fail "journal: JIT_TOKEN_DIGEST is the token's SHA-256" "$(jq -r .JIT_TOKEN_DIGEST <<<"$e") vs $digest"; fi
    sig=$(cut -d. -f3 <"$TOK/good")
    payload=$(cut -d. -f2 <"$TOK/good")
    if J | grep -q -F -e "$sig" -e "$payload" || grep -q -F -e "$sig" -e "$payload" "$WORLD/jitd.log"; then
        fail "the token (payload or signature) appears nowhere in the journal"
    else pass "the token (payload or signature) appears nowhere in the journal"; fi

    section "identity: refusals name their reason"
    expect_output "a token given literally on the command line is refused by jitctl" \
        "not the token itself" jitctl request deploy --service sshd --for 10m --reason x \
        --id-token "$(cat "$TOK/good")"
    expect_exit 1 "the same token again: refused" id_request deploy good
    expect_output "... as replayed" "workload token refused: replayed" id_request deploy good
    REF=refs/heads/feature mint branch
    expect_output "a token of another branch: denied, naming the claim ref" \
        "denied: rule deploy-from-main: claim ref: refs/heads/feature does not match ref=refs/heads/main" \
        id_request deploy branch
    mint expired --exp -120 --iat -400
    expect_output "an expired token: refused as expired" "refused: expired" id_request deploy expired
    AUD=jit:other-host mint aud
    expect_output "a token for another audience: refused as aud-mismatch" "refused: aud-mismatch" \
        id_request deploy aud
    mint none --alg none
    expect_output "alg none: refused as alg-none" "refused: alg-none" id_request deploy none
    mint stranger --iss https://gitlab.example.com
    expect_output "an issuer not in identity.d: refused as iss-unknown" "refused: iss-unknown" \
        id_request deploy stranger
    e=$(J JIT_EVENT=refused JIT_IDENTITY_REFUSAL=expired | tail -1)
    if [[ -n $e && $(jq -r .JIT_TOKEN_DIGEST <<<"$e") =~ ^[0-9a-f]{64}$ ]]; then
        pass "journal: a refused token is named by its digest and reason"
    else fail "journal: a refused token is named by its digest and reason" "$e"; fi
    mint local
    expect_exit 1 "a rule without identity = never judges a token (backup on sudo has none)" \
        jitctl request backup --service sudo --for 10m --reason x --id-token "$TOK/local"

    section "identity: explain --id-token"
    REF=refs/heads/feature mint explain-bad
    expect_output "explain names the failing claim" "claim.*ref=refs/heads/main" \
        jitctl explain deploy sshd --id-token "$TOK/explain-bad"
    mint explain-good
    expect_output "explain with a good token: a request would be approved" \
        "deploy-from-main.*a request would be approved at once" \
        jitctl explain deploy sshd --id-token "$TOK/explain-good"
    expect_output "explain does not spend the token" "approved: grant" \
        id_request deploy explain-good
    expect_output "explain of a spent token: replayed" "refused: replayed" \
        jitctl explain deploy sshd --id-token "$TOK/explain-good"
    expect_output "explain --id-token -: from standard input" "refused: replayed" \
        sh -c "\"$JITCTL\" --socket \"$SOCK\" explain deploy sshd --id-token - <\"$TOK/explain-good\""

    section "identity: a pending request, approved by a person"
    mint pend
    jitctl --json request backup --service sshd --for 10m --reason "restore" \
        --id-token "$TOK/pend" >"$WORLD/pend.json"
    PID_=$(request_id_of "$WORLD/pend.json")
    if [[ $(jq -r .state "$WORLD/pend.json") == pending && \
        $(jq -r .identity.subject "$WORLD/pend.json") == repo:acme/web:ref:refs/heads/main ]]; then
        pass "approval = 1 of @group: pending, with the workload on the request"
    else fail "approval = 1 of @group: pending, with the workload on the request" "$(cat "$WORLD/pend.json")"; fi
    expect_output "the pending request spent the token" "refused: replayed" \
        jitctl request backup --service sshd --for 10m --reason x --id-token "$TOK/pend"
    expect_exit 1 "PAM: backup is not in yet" pam backup sshd
    expect_exit 0 "an approver approves" jitctl_as jitt-ap1 approve "$PID_"
    expect_exit 0 "PAM: backup is in" pam backup sshd
    got=$(jitctl --json list | jq -r '.grants[] | select(.user == "backup") | .identity.claims | join(",")')
    if [[ $got == "repository=acme/web" ]]; then pass "the approved grant carries the workload's claims"
    else fail "the approved grant carries the workload's claims" "got '$got'"; fi

    section "identity: pam_jit's auth phase (IDENTITY_LOGIN) with the real jitd"
    write_token_service
    sed -i 's/^services = sshd, sudo$/services = sshd, sudo, sshd-token/' "$POLICY/10-identity.conf"
    sed -i 's/^services = sshd$/services = sshd, sshd-token/' "$POLICY/10-identity.conf"
    reload_jitd "policy: 2 rule" || fail "reload with the sshd-token service"
    jitctl revoke --user deploy --reason "before the login test" >/dev/null 2>&1
    jitctl revoke --user backup --reason "before the login test" >/dev/null 2>&1
    mint login1
    expect_output "login with the right token: in, with the grant it made" \
        "pamtester: successfully authenticated" login deploy login1
    got=$(jitctl --json list | jq -r '.grants[] | select(.user == "deploy" and (.services | index("sshd-token"))) | [.source, .identity.subject] | join("|")')
    if [[ $got == "192.0.2.7/32|repo:acme/web:ref:refs/heads/main" ]]; then
        pass "the login's grant is bound to its address and names the job"
    else fail "the login's grant is bound to its address and names the job" "got '$got'"; fi
    expect_output "the same token logs in again: refused as replayed" \
        "identity refused: workload token refused: replayed" login deploy login1
    REF=refs/heads/feature mint login-branch
    expect_output "a token of another branch: refused naming the claim" \
        "identity refused: denied: rule deploy-from-main: claim ref" login deploy login-branch
    printf '\n' >"$TOK/empty"
    expect_exit 1 "no token: refused" login deploy empty
    mint login-pend
    expect_output "approval = 1 of @group: the login fails naming the pending request" \
        "request r-[0-9a-z]{8} waits for approval" login backup login-pend
    LRID=$(jitctl --json list --pending | jq -r '.requests[] | select(.user == "backup") | .id' | head -1)
    expect_exit 0 "an approver approves the login's request" jitctl_as jitt-ap2 approve "$LRID"
    expect_output "the same token after the approval: in" "successfully authenticated" \
        login backup login-pend
    expect_output "... once" "replayed" login backup login-pend

    section "identity: replay memory survives a restart"
    stop_jitd
    start_jitd
    expect_output "after a restart the spent token is still refused" "refused: replayed" \
        id_request deploy good

    section "identity: key rotation by SIGHUP"
    mint ec --key "$KEYS/p256.pem" --alg ES256 --kid k2
    expect_output "a new kid before the reload: kid-unknown" "refused: kid-unknown" id_request deploy ec
    "$MINT" jwks --key "$KEYS/rsa.pem" --kid k1 --key "$KEYS/p256.pem" --kid k2 --out "$KEYS/github.json"
    chmod 0644 "$KEYS/github.json"
    reload_jitd "identity: 1 issuer\(s\) from .*, 2 key\(s\)" || fail "reload with the new kid"
    mint ec2 --key "$KEYS/p256.pem" --alg ES256 --kid k2
    expect_output "the new kid after SIGHUP: accepted" "approved: grant" id_request deploy ec2
    "$MINT" jwks --key "$KEYS/p256.pem" --kid k2 --out "$KEYS/github.json"
    chmod 0644 "$KEYS/github.json"
    reload_jitd "identity: 1 issuer\(s\) from .*, 1 key\(s\)" || fail "reload without k1"
    mint old
    expect_output "the removed kid after SIGHUP: refused" "refused: kid-unknown" id_request deploy old

    section "identity: a replaced key file is read without SIGHUP (inotify)"
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$KEYS/p256b.pem" 2>/dev/null
    loaded=$(grep -c "identity: 1 issuer" "$WORLD/jitd.log")
    # jwt-mint --out replaces the file by rename, as jit-jwks-refresh does.
    "$MINT" jwks --key "$KEYS/p256.pem" --kid k2 --key "$KEYS/p256b.pem" --kid k3 --out "$KEYS/github.json"
    for _ in $(seq 50); do
        [[ $(grep -c "identity: 1 issuer" "$WORLD/jitd.log") -gt $loaded ]] && break
        sleep 0.1
    done
    expect_output "the key file's replacement is read at once" \
        "identity: 1 issuer\(s\) from .*, 2 key\(s\)" tail -3 "$WORLD/jitd.log"
    mint k3 --key "$KEYS/p256b.pem" --alg ES256 --kid k3
    expect_output "a token with the new kid: accepted, no SIGHUP sent" "approved: grant" \
        id_request deploy k3

    section "identity: a key set jitd cannot read"
    echo '{"keys": [' >"$KEYS/github.json"
    reload_jitd "identity-rejected|keeping the keys read before" || true
    expect_log "a torn key file on reload is journaled" "github: .*keeping the keys read before"
    mint ec3 --key "$KEYS/p256.pem" --alg ES256 --kid k2
    expect_output "... and the keys read before stay in force" "approved: grant" id_request deploy ec3
    stop_jitd
    start_jitd
    mint ec4 --key "$KEYS/p256.pem" --alg ES256 --kid k2
    expect_output "jitd started with an unreadable key set denies: no-keys" "refused: no-keys" \
        id_request deploy ec4
    # Made writable by others before it is moved in (the move is seen at once).
    "$MINT" jwks --key "$KEYS/p256.pem" --kid k2 --out "$KEYS/next.json"
    chmod 0666 "$KEYS/next.json"
    refused=$(grep -c "no keys, its tokens are refused" "$WORLD/jitd.log")
    mv "$KEYS/next.json" "$KEYS/github.json"
    for _ in $(seq 50); do
        [[ $(grep -c "no keys, its tokens are refused" "$WORLD/jitd.log") -gt $refused ]] && break
        sleep 0.1
    done
    expect_output "a key file writable by others is not read: no-keys" "refused: no-keys" \
        id_request deploy ec4
    chmod 0644 "$KEYS/github.json"
    reload_jitd "identity: 1 issuer\(s\) from .*, 1 key\(s\)" || fail "reload with a good key file"
    expect_output "fixed and reloaded: the same token is accepted (it was never spent)" \
        "approved: grant" id_request deploy ec4
    end_world
    remove_test_users
fi
