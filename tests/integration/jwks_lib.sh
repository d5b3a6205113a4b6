# Helpers for the key-set tests: a test CA and server certificates made by
# openssl at test time, HTTPS servers on loopback (tests/integration/
# https_server.py, stopped by pid), and JWKS documents built from keys
# generated now.  Sourced by the t_*.sh files that use them.

HTTPS_PIDS=()

# make_test_pki DIR: DIR/ca.pem (trusted by the tests), DIR/server.{pem,key}
# (signed by it, for 127.0.0.1), and DIR/rogue.{pem,key} (self-signed, for
# the same address, trusted by nobody).
make_test_pki() {
    local d=$1
    mkdir -p "$d"
    (
        cd "$d" || exit 1
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
            -subj "/CN=jit test CA" -keyout ca.key -out ca.pem &&
            openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
                -subj "/CN=127.0.0.1" -keyout server.key -out server.csr &&
            printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >san.ext &&
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
                -extfile san.ext -out server.pem &&
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
                -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
                -keyout rogue.key -out rogue.pem
    ) >"$d/openssl.log" 2>&1
}

# start_https CERT KEY DOCROOT: starts a server; sets HTTPS_PORT.
start_https() {
    local portfile
    portfile=$(mktemp -u "$3/.port.XXXXXX")
    python3 tests/integration/https_server.py "$1" "$2" "$3" "$portfile" 2>>"$3/../https.log" &
    HTTPS_PIDS+=($!)
    local i
    for i in $(seq 100); do
        [[ -s $portfile ]] && { HTTPS_PORT=$(cat "$portfile"); rm -f "$portfile"; return 0; }
        sleep 0.05
    done
    echo "the HTTPS test server did not start" >&2
    return 1
}

stop_https() {
    local pid
    for pid in "${HTTPS_PIDS[@]}"; do
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    HTTPS_PIDS=()
}

# jwk_of TYPE KEYFILE KID: the public JWK of a private key of TYPE rsa, p256
# or ed25519.
jwk_of() {
    local type=$1 key=$2 kid=$3
    case $type in
        rsa)
            openssl rsa -in "$key" -noout -modulus 2>/dev/null | sed 's/^Modulus=//' |
                python3 -c 'import base64,sys,json
n=bytes.fromhex(sys.stdin.read().strip())
b=lambda x: base64.urlsafe_b64encode(x).rstrip(b"=").decode()
print(json.dumps({"kty":"RSA","kid":sys.argv[1],"use":"sig","alg":"RS256","n":b(n),"e":"AQAB"}))' "$kid"
            ;;
        ed25519)
            openssl pkey -in "$key" -pubout -outform DER | tail -c 32 |
                python3 -c 'import base64,sys,json
x=sys.stdin.buffer.read()
b=lambda x: base64.urlsafe_b64encode(x).rstrip(b"=").decode()
print(json.dumps({"kty":"OKP","crv":"Ed25519","kid":sys.argv[1],"x":b(x)}))' "$kid"
            ;;
        p256)
            openssl pkey -in "$key" -pubout -outform DER | tail -c 65 |
                python3 -c 'import base64,sys,json
p=sys.stdin.buffer.read()
b=lambda x: base64.urlsafe_b64encode(x).rstrip(b"=").decode()
print(json.dumps({"kty":"EC","crv":"P-256","kid":sys.argv[1],"x":b(p[1:33]),"y":b(p[33:65])}))' "$kid"
            ;;
    esac
}

# jwks JWK...: a key set holding the given keys.
jwks() {
    local IFS=,
    printf '{"keys":[%s]}\n' "$*"
}
