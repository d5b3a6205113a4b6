// The cost of one workload-token verification, per signature algorithm:
//   jit   verify_token (daemon/identity/verifier.h) on a valid token: size
//         cap, base64url, strict JSON of header and payload, alg and kid
//         checks, the signature, iss/aud/exp/nbf/iat/age, the claims copied
//         out, and the two SHA-256 digests (token and replay key)
//   peer  the bare OpenSSL check of the same signature over the same bytes
//         with the same key: EVP_MD_CTX_new + EVP_DigestVerifyInit (+ the
//         RSA padding) + EVP_DigestVerify + free, the ECDSA signature already
//         in DER
// so jit / peer is the verifier's own overhead on top of the signature.
// Keys are generated at run time; the tokens carry the claims a GitHub
// Actions job's token carries (about 1 KiB of payload), so parsing is
// measured at a realistic size.
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <stdio.h>

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "daemon/identity/base64url.h"
#include "daemon/identity/verifier.h"
#include "tests/helpers/jwt_sign.h"

namespace {

namespace id = jit::daemon::identity;
namespace t = jit::testing;

constexpr jit::daemon::Time kNow = 1800000000;
const char* const kIss = "https://token.actions.githubusercontent.com";

struct Case {
    const char* alg;
    const char* key_type;
    id::Alg id_alg;
};
const Case kCases[] = {
    {"RS256", "RSA", id::Alg::RS256},     {"PS256", "RSA", id::Alg::PS256},
    {"ES256", "P-256", id::Alg::ES256},   {"ES384", "P-384", id::Alg::ES384},
    {"EdDSA", "Ed25519", id::Alg::EdDSA},
};

// What one case needs: the issuer as jitd holds it, the token, and for the
// peer the same key, signing input and signature (DER for ECDSA).
struct Fixture {
    std::vector<id::Issuer> issuers;
    std::string token, input, der;
    std::shared_ptr<EVP_PKEY> key;
    id::Alg alg;
};

// A GitHub Actions OIDC token's claim set (its documented example), 1 KiB.
std::string payload_json() {
    char buf[2048];
    snprintf(
        buf, sizeof buf,
        "{\"jti\":\"example-id\",\"sub\":\"repo:acme/web:environment:production\","
        "\"environment\":\"production\",\"aud\":\"jit:prod-web-1\",\"ref\":\"refs/heads/main\","
        "\"sha\":\"example-sha-0123456789abcdef0123456789abcdef\","
        "\"repository\":\"acme/web\",\"repository_owner\":\"acme\","
        "\"repository_owner_id\":\"65\",\"repository_id\":\"74\","
        "\"repository_visibility\":\"private\",\"actor_id\":\"12\",\"actor\":\"octocat\","
        "\"workflow\":\"release\",\"head_ref\":\"\",\"base_ref\":\"\",\"event_name\":\"push\","
        "\"ref_protected\":\"true\",\"ref_type\":\"branch\","
        "\"workflow_ref\":\"acme/web/.github/workflows/release.yml@refs/heads/main\","
        "\"workflow_sha\":\"example-sha-0123456789abcdef0123456789abcdef\","
        "\"job_workflow_ref\":\"acme/web/.github/workflows/release.yml@refs/heads/main\","
        "\"job_workflow_sha\":\"example-sha-0123456789abcdef0123456789abcdef\","
        "\"runner_environment\":\"github-hosted\",\"run_id\":\"4711\","
        "\"run_number\":\"42\",\"run_attempt\":\"1\",\"iss\":\"%s\","
        "\"nbf\":%lld,\"exp\":%lld,\"iat\":%lld}",
        kIss, (long long)kNow - 5, (long long)kNow + 300, (long long)kNow - 5);
    return buf;
}

// JWS ECDSA r || s as the DER OpenSSL verifies, done once outside the loop.
std::string der_of(const std::string& raw) {
    size_t half = raw.size() / 2;
    const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
    ECDSA_SIG* sig = ECDSA_SIG_new();
    if (!sig || ECDSA_SIG_set0(sig, BN_bin2bn(p, int(half), nullptr),
                               BN_bin2bn(p + half, int(half), nullptr)) != 1)
        throw std::runtime_error("ECDSA_SIG");
    unsigned char* der = nullptr;
    int len = i2d_ECDSA_SIG(sig, &der);
    ECDSA_SIG_free(sig);
    if (len <= 0) throw std::runtime_error("i2d_ECDSA_SIG");
    std::string out(reinterpret_cast<char*>(der), size_t(len));
    OPENSSL_free(der);
    return out;
}

Fixture make_fixture(const Case& c) {
    Fixture f;
    f.alg = c.id_alg;
    t::Pkey key = t::generate_key(c.key_type);
    std::string header = std::string("{\"alg\":\"") + c.alg + "\",\"typ\":\"JWT\",\"kid\":\"k1\"}";
    f.token = t::compact(key.get(), c.alg, header, payload_json());
    id::Issuer issuer;
    issuer.config.name = "github";
    issuer.config.issuer = kIss;
    issuer.config.audiences = {"jit:prod-web-1"};
    issuer.config.jwks_file = "/var/lib/jit/jwks/github.json";
    issuer.config.algorithms = {c.id_alg};
    auto set = id::parse_jwks("{\"keys\":[" + t::public_jwk(key.get(), "k1", c.alg) + "]}");
    if (!set) throw std::runtime_error("parse_jwks: " + set.error());
    // The peer verifies with the very key object the verifier uses.
    f.key = set->keys.at(0).key;
    issuer.keys = std::make_shared<id::KeySet>(*set);
    f.issuers.push_back(issuer);
    size_t dot = f.token.rfind('.');
    f.input = f.token.substr(0, dot);
    auto sig = id::b64url_decode(std::string_view(f.token).substr(dot + 1));
    if (!sig) throw std::runtime_error("signature base64url");
    f.der = (c.id_alg == id::Alg::ES256 || c.id_alg == id::Alg::ES384) ? der_of(*sig) : *sig;
    auto ok = id::verify_token(f.token, f.issuers, kNow);
    if (!ok) throw std::runtime_error(std::string(c.alg) + " token refused: " + ok.error().what());
    return f;
}

std::map<std::string, Fixture>& fixtures() {
    static std::map<std::string, Fixture> f = [] {
        std::map<std::string, Fixture> m;
        for (const auto& c : kCases) m.emplace(c.alg, make_fixture(c));
        return m;
    }();
    return f;
}

bool bare_verify(const Fixture& f) {
    const EVP_MD* md = f.alg == id::Alg::EdDSA   ? nullptr
                       : f.alg == id::Alg::ES384 ? EVP_sha384()
                                                 : EVP_sha256();
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX* pctx = nullptr;
    bool ok = ctx && EVP_DigestVerifyInit(ctx, &pctx, md, nullptr, f.key.get()) == 1;
    if (ok && f.alg == id::Alg::PS256)
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
    if (ok && f.alg == id::Alg::RS256)
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
    ok = ok && EVP_DigestVerify(
                   ctx, reinterpret_cast<const unsigned char*>(f.der.data()), f.der.size(),
                   reinterpret_cast<const unsigned char*>(f.input.data()), f.input.size()) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

void BM_VerifyToken(benchmark::State& state, const char* alg) {
    const Fixture& f = fixtures().at(alg);
    for (auto _ : state) {
        auto r = id::verify_token(f.token, f.issuers, kNow);
        if (!r) {
            state.SkipWithError("token refused");
            break;
        }
        benchmark::DoNotOptimize(r);
    }
}

void BM_BareEvpVerify(benchmark::State& state, const char* alg) {
    const Fixture& f = fixtures().at(alg);
    for (auto _ : state) {
        bool ok = bare_verify(f);
        if (!ok) {
            state.SkipWithError("signature refused");
            break;
        }
        benchmark::DoNotOptimize(ok);
    }
}

// Collects the median CPU time per iteration of each benchmark's
// repetitions so the ratios can follow the table.
class RatioReporter : public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run>& runs) override {
        ConsoleReporter::ReportRuns(runs);
        for (const auto& r : runs)
            if (!r.error_occurred && r.aggregate_name == "median")
                ns[r.run_name.function_name] = r.GetAdjustedCPUTime();
    }
    std::map<std::string, double> ns;
};

}  // namespace

int main(int argc, char** argv) {
    // Repetitions of jit and peer run in random order, so a load that comes
    // and goes on a shared machine falls on both alike; the medians are kept.
    std::vector<char*> args(argv, argv + argc);
    char interleave[] = "--benchmark_enable_random_interleaving=true";
    args.insert(args.begin() + 1, interleave);
    argc = int(args.size());
    argv = args.data();
    benchmark::Initialize(&argc, argv);
    try {
        fixtures();
    } catch (const std::exception& e) {
        fprintf(stderr, "identity_bench: %s\n", e.what());
        return 1;
    }
    for (const auto& c : kCases) {
        benchmark::RegisterBenchmark((std::string("verify_token/") + c.alg).c_str(), BM_VerifyToken,
                                     c.alg)
            ->MinTime(0.2)
            ->Repetitions(7)
            ->ReportAggregatesOnly(true);
        benchmark::RegisterBenchmark((std::string("EVP_DigestVerify/") + c.alg).c_str(),
                                     BM_BareEvpVerify, c.alg)
            ->MinTime(0.2)
            ->Repetitions(7)
            ->ReportAggregatesOnly(true);
    }
    RatioReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    printf(
        "\nmedian CPU time of one verification:\n"
        "| alg | jit: verify_token | peer: EVP_DigestVerify | ratio (verifier's own) |\n"
        "|---|---|---|---|\n");
    for (const auto& c : kCases) {
        auto a = reporter.ns.find(std::string("verify_token/") + c.alg);
        auto b = reporter.ns.find(std::string("EVP_DigestVerify/") + c.alg);
        if (a == reporter.ns.end() || b == reporter.ns.end()) {
            printf("| %s | not measured | | |\n", c.alg);
            continue;
        }
        double jit = a->second / 1000, peer = b->second / 1000;
        printf("| %s | %.1f us | %.1f us | %.2fx (+%.1f us) |\n", c.alg, jit, peer, jit / peer,
               jit - peer);
    }
    return 0;
}
