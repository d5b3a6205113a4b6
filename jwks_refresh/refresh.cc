#include "jwks_refresh/refresh.h"

#include <chrono>

namespace jit::jwks {

Result<Outcome, Failure> refresh_one(const Source& source, const FetchLimits& limits) {
    if (auto ok = check_source(source); !ok.ok()) return ok.error();
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + std::chrono::milliseconds(limits.timeout_ms);
    Outcome out;
    out.from = source.jwks_uri;
    if (source.discovery()) {
        std::string base = source.issuer;
        while (!base.empty() && base.back() == '/') base.pop_back();
        auto doc = https_get(base + "/.well-known/openid-configuration", limits, limits.timeout_ms);
        if (!doc.ok()) return doc.error();
        auto uri = jwks_uri_from_discovery(*doc, source.issuer);
        if (!uri.ok())
            return problem(base + "/.well-known/openid-configuration: " + uri.error().message);
        out.from = *uri;
    }
    const long rest = long(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
    if (rest <= 0)
        return problem("no time left for " + out.from + " after discovery (" +
                       std::to_string(limits.timeout_ms) + " ms in all)");
    auto body = https_get(out.from, limits, rest);
    if (!body.ok()) return body.error();
    auto keys = check_key_set(*body);
    if (!keys.ok()) return problem(out.from + ": " + keys.error().message);
    out.keys = *keys;
    auto replaced = replace_file(source.jwks_file, *body);
    if (!replaced.ok()) return replaced.error();
    out.replaced = *replaced;
    return out;
}

}  // namespace jit::jwks
