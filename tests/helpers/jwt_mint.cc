// jwt-mint: mints JSON Web Tokens and JWKS files with keys the tests
// generate (openssl genpkey), so the unit, integration and system tests show
// jitd real signatures made outside jitd.  Test tool only; never installed.
//
//   jwt-mint token --key KEY.pem --alg RS256|PS256|ES256|ES384|EdDSA|HS256|none
//       [--kid KID] [--typ JWT] [--iss ISS] [--aud AUD]... [--sub SUB] [--jti JTI]
//       [--exp OFF] [--nbf OFF] [--iat OFF] [--now EPOCH] [--omit CLAIM]...
//       [--claim NAME=VALUE]... [--claim-json NAME=JSON]... [--header-json NAME=JSON]...
//       [--header-alg ALG] [--header TEXT] [--payload TEXT] [--hmac-secret-file FILE]
//   jwt-mint jwks (--key KEY.pem --kid KID [--alg ALG])... [--out FILE]
//
// token: prints the compact JWS.  Times are offsets in seconds from now (or
// from --now): exp defaults to +300, iat to 0, nbf is left out unless given;
// jti defaults to 16 random hex digits.  --aud twice makes an array.
// --omit drops a claim (exp, iat, jti, ...).  --header/--payload sign the
// given text byte for byte (duplicate keys, depth bombs); --header-alg
// writes a different alg into the header than the one signed with;
// HS256 signs with the bytes of --hmac-secret-file (e.g. a public key).
// jwks: prints (or atomically writes to --out) {"keys":[...]} with the
// public half of each key; a key file may hold a public key.
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/helpers/jwt_sign.h"

namespace {

using jit::testing::Pkey;
using json = nlohmann::ordered_json;

[[noreturn]] void usage(const std::string& why) {
    std::cerr << "jwt-mint: " << why << "\n"
              << "usage: jwt-mint token --key KEY.pem --alg ALG [options]\n"
              << "       jwt-mint jwks (--key KEY.pem --kid KID [--alg ALG])... [--out FILE]\n";
    exit(2);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

Pkey load_any_key(const std::string& path) {
    BIO* bio = BIO_new_file(path.c_str(), "r");
    if (!bio) throw std::runtime_error("cannot open " + path);
    EVP_PKEY* k = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    if (!k) {
        (void)BIO_reset(bio);
        k = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
    }
    BIO_free(bio);
    if (!k) throw std::runtime_error("not a PEM key: " + path);
    return Pkey(k);
}

long long offset(const std::string& v) {
    size_t used = 0;
    long long n = std::stoll(v, &used);
    if (used != v.size()) usage("not a number of seconds: " + v);
    return n;
}

std::pair<std::string, std::string> split_eq(const std::string& v) {
    auto eq = v.find('=');
    if (eq == std::string::npos || eq == 0) usage("expected NAME=VALUE: " + v);
    return {v.substr(0, eq), v.substr(eq + 1)};
}

std::string random_jti() {
    unsigned char b[8];
    if (RAND_bytes(b, sizeof b) != 1) throw std::runtime_error("RAND_bytes");
    char out[17];
    for (int i = 0; i < 8; ++i) snprintf(out + 2 * i, 3, "%02x", b[i]);
    return out;
}

struct TokenOptions {
    std::string key, alg, kid, typ, header_alg, header_text, payload_text, secret_file;
    bool has_header_text = false, has_payload_text = false;
    std::vector<std::string> aud;
    std::map<std::string, std::string> strings;  // iss, sub, jti, --claim
    std::vector<std::pair<std::string, std::string>> claim_json, header_json;
    std::map<std::string, long long> times{{"exp", 300}, {"iat", 0}};
    std::set<std::string> omit;
    long long now = time(nullptr);
};

json build_payload(const TokenOptions& o) {
    json p;
    for (const char* name : {"iss", "sub"})
        if (o.strings.count(name)) p[name] = o.strings.at(name);
    if (o.aud.size() == 1) p["aud"] = o.aud[0];
    if (o.aud.size() > 1) p["aud"] = o.aud;
    for (const auto& [name, off] : o.times) p[name] = o.now + off;
    p["jti"] = o.strings.count("jti") ? o.strings.at("jti") : random_jti();
    for (const auto& [name, value] : o.strings)
        if (name != "iss" && name != "sub" && name != "jti") p[name] = value;
    for (const auto& [name, text] : o.claim_json) p[name] = json::parse(text);
    for (const auto& name : o.omit) p.erase(name);
    return p;
}

int mint_token(int argc, char** argv) {
    TokenOptions o;
    for (int i = 2; i < argc; ++i) {
        std::string a = argv[i];
        if (i + 1 >= argc) usage("missing value for " + a);
        std::string v = argv[++i];
        if (a == "--key")
            o.key = v;
        else if (a == "--alg")
            o.alg = v;
        else if (a == "--kid")
            o.kid = v;
        else if (a == "--typ")
            o.typ = v;
        else if (a == "--iss" || a == "--sub" || a == "--jti")
            o.strings[a.substr(2)] = v;
        else if (a == "--aud")
            o.aud.push_back(v);
        else if (a == "--exp" || a == "--nbf" || a == "--iat")
            o.times[a.substr(2)] = offset(v);
        else if (a == "--now")
            o.now = offset(v);
        else if (a == "--omit")
            o.omit.insert(v);
        else if (a == "--claim")
            o.strings.insert(split_eq(v));
        else if (a == "--claim-json")
            o.claim_json.push_back(split_eq(v));
        else if (a == "--header-json")
            o.header_json.push_back(split_eq(v));
        else if (a == "--header-alg")
            o.header_alg = v;
        else if (a == "--header")
            o.header_text = v, o.has_header_text = true;
        else if (a == "--payload")
            o.payload_text = v, o.has_payload_text = true;
        else if (a == "--hmac-secret-file")
            o.secret_file = v;
        else
            usage("unknown option " + a);
    }
    if (o.alg.empty()) usage("--alg is required");
    Pkey key;
    if (o.alg != "none" && o.alg != "HS256") {
        if (o.key.empty()) usage("--key is required for " + o.alg);
        key = jit::testing::load_private_key(o.key);
    }
    std::string secret = o.secret_file.empty() ? "" : read_file(o.secret_file);
    if (o.alg == "HS256" && secret.empty()) usage("HS256 needs --hmac-secret-file");
    json h;
    h["alg"] = o.header_alg.empty() ? o.alg : o.header_alg;
    if (!o.typ.empty()) h["typ"] = o.typ;
    if (!o.kid.empty()) h["kid"] = o.kid;
    for (const auto& [name, text] : o.header_json) h[name] = json::parse(text);
    std::string header = o.has_header_text ? o.header_text : h.dump();
    std::string payload = o.has_payload_text ? o.payload_text : build_payload(o).dump();
    std::cout << jit::testing::compact(key.get(), o.alg, header, payload, secret) << "\n";
    return 0;
}

int write_jwks(int argc, char** argv) {
    json keys = json::array();
    std::string out;
    Pkey key;
    std::string kid, alg;
    auto flush = [&] {
        if (!key) return;
        keys.push_back(json::parse(jit::testing::public_jwk(key.get(), kid, alg)));
        key.reset();
        kid.clear();
        alg.clear();
    };
    for (int i = 2; i < argc; ++i) {
        std::string a = argv[i];
        if (i + 1 >= argc) usage("missing value for " + a);
        std::string v = argv[++i];
        if (a == "--key")
            flush(), key = load_any_key(v);
        else if (a == "--kid")
            kid = v;
        else if (a == "--alg")
            alg = v;
        else if (a == "--out")
            out = v;
        else
            usage("unknown option " + a);
    }
    flush();
    std::string text = json{{"keys", keys}}.dump(2) + "\n";
    if (out.empty()) {
        std::cout << text;
        return 0;
    }
    std::string tmp = out + ".tmp";
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        f << text;
        if (!f.flush()) throw std::runtime_error("cannot write " + tmp);
    }
    if (rename(tmp.c_str(), out.c_str()) != 0) throw std::runtime_error("cannot rename " + tmp);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        if (argc < 2) usage("no command");
        std::string cmd = argv[1];
        if (cmd == "token") return mint_token(argc, argv);
        if (cmd == "jwks") return write_jwks(argc, argv);
        usage("unknown command " + cmd);
    } catch (const std::exception& e) {
        std::cerr << "jwt-mint: " << e.what() << "\n";
        return 1;
    }
}
