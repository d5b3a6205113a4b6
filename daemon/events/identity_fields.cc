#include "daemon/events/identity_fields.h"

#include "jit/escape.h"

namespace jit::daemon {

std::string bounded_text(const std::string& text) {
    std::string out = escape_text(text);
    if (out.size() <= kMaxIdentityField) return out;
    size_t cut = kMaxIdentityField - 3;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xc0) == 0x80) --cut;
    // Never end inside an escape sequence: back up to before its backslash.
    size_t slash = out.rfind('\\', cut);
    if (slash != std::string::npos && cut - slash < 8) cut = slash;
    return out.substr(0, cut) + "...";
}

void add_identity_fields(const WorkloadIdentity& identity, Fields* out) {
    if (identity.empty()) return;
    std::string claims;
    for (const auto& c : identity.claims) claims += (claims.empty() ? "" : ", ") + c;
    out->push_back({"JIT_IDENTITY_NAME", identity.name});
    out->push_back({"JIT_IDENTITY_ISSUER", bounded_text(identity.issuer)});
    out->push_back({"JIT_IDENTITY_SUBJECT", bounded_text(identity.subject)});
    out->push_back({"JIT_IDENTITY_CLAIMS", bounded_text(claims)});
    out->push_back({"JIT_TOKEN_DIGEST", identity.token_digest});
}

std::string describe_identity(const WorkloadIdentity& identity) {
    return "workload " + bounded_text(identity.subject) + " of " + bounded_text(identity.issuer);
}

}  // namespace jit::daemon
