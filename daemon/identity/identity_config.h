// /etc/jit/identity.d/*.conf (jit-identity(5)): the issuers whose workload
// tokens jitd accepts, one per INI section.  A section names the issuer
// exactly, the audience tokens must carry (required, never defaulted), the
// JWKS file its keys are read from, the signature algorithms allowed, and
// how old and how far off the clock a token may be.
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

#include "daemon/config/config.h"
#include "jit/result.h"

namespace jit::daemon::identity {

enum class Alg { RS256, PS256, ES256, ES384, EdDSA };
const char* alg_name(Alg a);
std::optional<Alg> alg_from_name(std::string_view name);

struct Provider {
    std::string name;                    // the section: what policy's identity = names
    std::string issuer;                  // "iss", compared byte for byte
    std::vector<std::string> audiences;  // "aud" must contain one of these
    std::string jwks_file;               // absolute path
    std::vector<Alg> algorithms;         // allow-list; default RS256
    int64_t max_token_age = 600;         // seconds since iat
    int64_t clock_skew = 60;             // leeway on exp, nbf and iat
    std::string file;
    int line = 0;
};

struct ProviderSet {
    std::vector<Provider> providers;
    const Provider* by_issuer(std::string_view iss) const;
    const Provider* by_name(std::string_view name) const;
};

// Adds the sections of one file's text; names and issuers must be unique.
Result<void, Failure> parse_identity_text(const std::string& text, const std::string& name,
                                          ProviderSet* set);
// Every *.conf in dir (sorted); each must be owned by root (or us) and not
// writable by group or others.  A missing dir is an empty set.
Result<ProviderSet, Failure> load_identity_dir(const std::string& dir);

}  // namespace jit::daemon::identity
