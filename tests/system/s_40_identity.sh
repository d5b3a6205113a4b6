# Workload identity on a real host: a "CI job" on this side of the
# container holds deploy's SSH key and mints its own OIDC token with the test
# issuer's key (made here, at test time); it logs in over real OpenSSH with
# publickey + keyboard-interactive, and conf/ssh/jit-token-askpass answers
# pam_jit.so's token prompt with no one at the keyboard (pam_jit(8), AUTH
# PHASE; README, Workload identity).  Inside, the settings are the
# documented ones: an issuer in /etc/jit/identity.d with a key set file, a
# rule with identity = and claims =, sshd asking the managed accounts for
# both methods, and pam_jit.so's token line before common-auth.

ID_ISS=https://ci.jit.test
ID_AUD=jit:jit-test
ID_SUB=repo:acme/web:ref:refs/heads/main
ID_MINT=$BUILD/tests/jwt-mint
ID_ASKPASS=$PWD/conf/ssh/jit-token-askpass
ID_RULE=deploy-from-main

# id_mint NAME ALG REF: a token of the CI job, for branch REF, into
# $WORK/NAME.jwt (mode 0600, as the job keeps it).
id_mint() {
    local key=$WORK/ci-rsa.pem kid=ci-rsa-1
    [[ $2 == ES256 ]] && key=$WORK/ci-ec.pem kid=ci-ec-1
    (umask 077 && "$ID_MINT" token --key "$key" --alg "$2" --kid "$kid" --iss "$ID_ISS" \
        --aud "$ID_AUD" --sub "repo:acme/web:ref:$3" --claim repository=acme/web \
        --claim "ref=$3" --claim run_id=4711 --exp 300 >"$WORK/$1.jwt")
}

# ci_ssh TOKEN_FILE CMD...: the job's login, as the README's workflow makes
# it: the key, and the token answered by jit-token-askpass from a file.
# One keyboard-interactive round, so each login presents its token once.
# ssh's own log level (INFO) shows what pam_jit tells the job on stderr.
ci_ssh() {
    local file=$1
    shift
    JIT_ID_TOKEN_FILE=$file SSH_ASKPASS=$ID_ASKPASS SSH_ASKPASS_REQUIRE=force \
        ssh -F none -i "$WORK/id_deploy" -p "$SSH_PORT" -o StrictHostKeyChecking=no \
        -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 \
        -o PreferredAuthentications=publickey,keyboard-interactive \
        -o NumberOfPasswordPrompts=1 deploy@127.0.0.1 "$@" </dev/null
}

# The journal's position now; id_since CURSOR [FIELD=VALUE...] prints the
# entries after it as JSON, one a line: jitd's unless SYSLOG_IDENTIFIER= is
# given.  The fields are matched by jq, not journalctl: systemd 252's
# --after-cursor with a match skips the first matching entry when the
# cursor's own entry does not match.
id_cursor() { in_host journalctl --no-pager -q -n 1 -o cat --show-cursor | sed -n 's/^-- cursor: //p'; }
id_since() {
    local cursor=$1 match='{}' kv
    shift
    [[ $* == *SYSLOG_IDENTIFIER=* ]] || set -- SYSLOG_IDENTIFIER=jitd "$@"
    for kv in "$@"; do
        match=$(jq -cn --argjson m "$match" --arg k "${kv%%=*}" --arg v "${kv#*=}" '$m + {($k): $v}')
    done
    journal_json --after-cursor="$cursor" |
        jq -c --argjson m "$match" 'select(. as $e | $m | to_entries | all(.value == $e[.key]))'
}
# id_wait_journal CURSOR JQ [MATCH...]: waits (2 s at most) until one of the
# entries id_since prints satisfies the jq test JQ; prints those that do.
id_wait_journal() {
    local cursor=$1 test=$2 out
    shift 2
    for _ in $(seq 20); do
        out=$(id_since "$cursor" "$@" | jq -c "select($test)")
        [[ -n $out ]] && { printf '%s\n' "$out"; return 0; }
        sleep 0.1
    done
    return 1
}

id_grants() { in_host jitctl --json list --user deploy | jq -r '.grants[] | .id'; }

id_setup() {
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/ci-rsa.pem" 2>/dev/null &&
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/ci-ec.pem" \
            2>/dev/null &&
        "$ID_MINT" jwks --key "$WORK/ci-rsa.pem" --kid ci-rsa-1 --alg RS256 \
            --key "$WORK/ci-ec.pem" --kid ci-ec-1 --alg ES256 --out "$WORK/ci-jwks.json" || return 1
    # The key set shipped by hand (no jit-jwks-refresh in this root), where
    # jit-jwks-refresh would keep it.
    in_host install -d -m 0755 /etc/jit/identity.d /var/lib/jit-jwks || return 1
    in_host_sh "umask 022 && cat > /var/lib/jit-jwks/ci.json" <"$WORK/ci-jwks.json" || return 1
    in_host_sh "umask 022 && cat > /etc/jit/identity.d/ci.conf" <<CONF || return 1
[ci]
issuer        = $ID_ISS
audience      = $ID_AUD
jwks_file     = /var/lib/jit-jwks/ci.json
algorithms    = RS256, ES256
max_token_age = 5m
CONF
    in_host_sh "umask 022 && cat > /etc/jit/policy.d/40-identity.conf" <<POLICY || return 1
[$ID_RULE]
accounts = deploy
services = sshd
identity = ci
claims   = repository=acme/web, ref=refs/heads/main
duration = 1m..10m
reason   = optional
approval = auto
POLICY
    in_host jitctl policy check || return 1
    # A restart, not a reload: systemctl returns once the new jitd is ready
    # with identity.d and the policy read (Type=notify).
    in_host systemctl restart jitd || return 1
    # sshd_config.d is this side's directory, bound read-only into the host.
    cat >"$WORK/sshd_config.d/zz-jit-identity.conf" <<'CONF'
Match Group jit-managed
    KbdInteractiveAuthentication yes
    AuthenticationMethods publickey,keyboard-interactive
CONF
    in_host cp /etc/pam.d/sshd /etc/pam.d/sshd.jit-test-orig || return 1
    in_host_sh "sed -i '0,/^@include common-auth/s//auth [success=done ignore=ignore default=die] pam_jit.so managed_groups=jit-managed token\n&/' /etc/pam.d/sshd" ||
        return 1
    in_host systemctl reload ssh
}

id_teardown() {
    in_host jitctl revoke --user deploy >/dev/null 2>&1
    rm -f "$WORK/sshd_config.d/zz-jit-identity.conf"
    in_host_sh 'test -f /etc/pam.d/sshd.jit-test-orig && mv /etc/pam.d/sshd.jit-test-orig /etc/pam.d/sshd'
    in_host systemctl reload ssh
    in_host rm -f /etc/jit/policy.d/40-identity.conf /etc/jit/identity.d/ci.conf
    in_host systemctl restart jitd
}

section "10. workload identity: a CI job logs in over ssh with its OIDC token"
if [[ ! -x $ID_MINT ]]; then
    skip "workload identity login" "$ID_MINT is not built (make system builds it)"
elif ! id_setup; then
    fail "identity.d, the key set, the rule, sshd and pam.d set up"
    id_teardown
else
    pass "issuer ci with a key set made here (RS256 + ES256), rule $ID_RULE, sshd and pam_jit token line"
    # The sshd settings as sshd itself resolves them, for deploy and admin.
    eff=$(in_host sshd -T -C user=deploy,host=ci,addr=127.0.0.1 | grep -E '^(kbdinteractiveauthentication|authenticationmethods) ' | sort | xargs)
    expect_eq "sshd: deploy (jit-managed) needs publickey then keyboard-interactive" \
        "authenticationmethods publickey,keyboard-interactive kbdinteractiveauthentication yes" "$eff"
    eff=$(in_host sshd -T -C user=admin,host=ci,addr=127.0.0.1 | grep -E '^(kbdinteractiveauthentication|authenticationmethods) ' | sort | xargs)
    expect_eq "sshd: admin (unmanaged) keeps the key alone" \
        "authenticationmethods any kbdinteractiveauthentication no" "$eff"
    expect_ok "admin still logs in with the key alone" ssh_as admin true
    expect_eq "deploy holds no grant before the job logs in" "" "$(id_grants | xargs)"

    id_mint right RS256 refs/heads/main
    id_mint branch ES256 refs/heads/feature
    id_mint fresh ES256 refs/heads/main
    : >"$WORK/empty.jwt"

    # Without a token: the key alone is not enough, and an empty answer is
    # refused by pam_jit without a grant.
    expect_refused "without a token: deploy's key alone is refused (sshd wants keyboard-interactive too)" \
        ssh -n -F none -i "$WORK/id_deploy" -p "$SSH_PORT" -o BatchMode=yes \
        -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
        -o PreferredAuthentications=publickey deploy@127.0.0.1 true
    cursor=$(id_cursor)
    if out=$(ci_ssh "$WORK/empty.jwt" true 2>&1); then
        fail "without a token: an empty answer to the token prompt is refused" "it succeeded: $out"
    elif [[ $out == *"no token given"* ]]; then
        pass "without a token: an empty answer to the token prompt is refused; the job's log says no token given"
    else
        fail "without a token: the job's log says no token given" "$out"
    fi
    # pam_jit's own line (sshd's identifier): the prompt was asked and answered empty.
    expect_ok "pam_jit logged the refusal: no token given" id_wait_journal "$cursor" \
        '.MESSAGE | test("pam_jit.*identity login of deploy refused: no token given")' \
        SYSLOG_IDENTIFIER=sshd
    expect_eq "no grant was made" "" "$(id_grants | xargs)"

    # A token of another branch: valid signature, valid issuer, the wrong ref.
    cursor=$(id_cursor)
    if out=$(ci_ssh "$WORK/branch.jwt" true 2>&1); then
        fail "a token of branch refs/heads/feature is refused" "it succeeded: $out"
    else
        pass "a token of branch refs/heads/feature is refused"
        # pam_jit passes jitd's words on to the job (pam_jit(8)).
        if [[ $out == *"claim ref"* ]]; then
            pass "the job's log says why (the claim ref)"
        else
            fail "the job's log says why (the claim ref)" "$out"
        fi
    fi
    if out=$(id_wait_journal "$cursor" '(.MESSAGE + " " + (.JIT_REASON // "")) | test("claim ref")'); then
        pass "the journal says the claim ref failed"
    else
        fail "the journal says the claim ref failed" "$(id_since "$cursor" | jq -c '{MESSAGE, JIT_EVENT, JIT_REASON}')"
    fi
    expect_eq "no grant was made" "" "$(id_grants | xargs)"

    # The right token: in, with a grant bound to the job.
    cursor=$(id_cursor)
    # shellcheck disable=SC2016 # $(id -un) is for the remote shell
    out=$(ci_ssh "$WORK/right.jwt" 'echo in as $(id -un)' 2>"$WORK/ssh.err")
    expect_eq "the token of refs/heads/main logs deploy in" "in as deploy" "$out$(grep -v '^Warning: Permanently added' "$WORK/ssh.err")"
    GRANT=$(id_grants | head -1)
    digest=$(tr -d '\n' <"$WORK/right.jwt" | sha256sum | cut -d' ' -f1)
    entry=$(id_wait_journal "$cursor" '.JIT_GRANT_ID != null and .JIT_IDENTITY_SUBJECT != null' \
        JIT_EVENT=grant | tail -1)
    expect_eq "journal: the grant names the job (issuer, subject, matched claims, token digest)" \
        "$GRANT|$ID_RULE|$ID_ISS|$ID_SUB|repository=acme/web, ref=refs/heads/main|$digest" \
        "$(jq -r '[.JIT_GRANT_ID, .JIT_RULE, .JIT_IDENTITY_ISSUER, .JIT_IDENTITY_SUBJECT, .JIT_IDENTITY_CLAIMS, .JIT_TOKEN_DIGEST] | join("|")' <<<"$entry")"
    expect_ok "journal: the account phase's check was allowed by that grant" \
        id_wait_journal "$cursor" "(.JIT_DECISION == \"allow\") and (.JIT_GRANT_ID == \"$GRANT\")" \
        JIT_EVENT=decision JIT_SERVICE=sshd
    exp=$(cut -d. -f2 "$WORK/right.jwt" | tr '_-' '/+' | base64 -d 2>/dev/null | jq -r .exp)
    read -r services not_after subject <<<"$(in_host jitctl --json list --user deploy |
        jq -r --arg g "$GRANT" '.grants[] | select(.id == $g) | "\(.services | join(",")) \(.not_after) \(.identity.subject)"')"
    expect_eq "jitctl list: the grant names the job" "$ID_SUB" "$subject"
    if [[ $services == sshd && -n $not_after && $(date -d "$not_after" +%s 2>/dev/null || echo "$not_after") -le $((exp + 600)) ]]; then
        pass "the grant covers sshd only and ends no later than the token's exp + the rule's 10m"
    else
        fail "the grant covers sshd only and ends no later than exp + 10m" "services=$services not_after=$not_after exp=$exp"
    fi

    # The same token again: spent, refused although deploy holds a grant now.
    cursor=$(id_cursor)
    expect_refused "the same token again (replay) is refused" ci_ssh "$WORK/right.jwt" true
    if out=$(id_wait_journal "$cursor" '.JIT_IDENTITY_REFUSAL == "replayed"'); then
        pass "the journal says the token was used before"
    else
        fail "the journal says the token was used before" "$(id_since "$cursor" | jq -c '{MESSAGE, JIT_EVENT, JIT_IDENTITY_REFUSAL}')"
    fi
    expect_ok "control: a fresh token of the same job logs in again" ci_ssh "$WORK/fresh.jwt" true

    # The tokens (whole, and the signature part alone) in no journal field
    # of any unit: sshd's, pam_jit's and jitd's lines included.
    in_host journalctl --no-pager -o export >"$WORK/journal.export"
    leaked=
    for name in right branch fresh; do
        token=$(tr -d '\n' <"$WORK/$name.jwt")
        grep -qF -- "$token" "$WORK/journal.export" && leaked+=" $name"
        grep -qF -- "${token##*.}" "$WORK/journal.export" && leaked+=" $name(signature)"
    done
    if [[ -z $leaked && $(wc -l <"$WORK/journal.export") -gt 100 ]]; then
        pass "no token appears in the host's journal ($(grep -c '^__CURSOR=' "$WORK/journal.export") entries)"
    else
        fail "no token appears in the host's journal" "found:${leaked:- none, but the export is too short}"
    fi
    id_teardown
fi
