#include "daemon/server/identity_init.h"

#include <syslog.h>

#include "daemon/identity/key_files.h"
#include "jit/escape.h"

namespace jit::daemon {

Result<std::shared_ptr<const IssuerSet>, Failure> load_issuers(const Config& config,
                                                               const IssuerSet& previous,
                                                               Journal& journal) {
    auto providers = identity::load_identity_dir(config.identity_dir);
    if (!providers) return providers.error();
    auto loaded = identity::load_key_sets(*providers, previous);
    for (const auto& problem : loaded.problems)
        journal.record(Event::IdentityRejected, LOG_ERR, "identity: " + escape_text(problem),
                       {{"JIT_IDENTITY_DIR", config.identity_dir}, {"JIT_REASON", problem}});
    size_t keys = 0;
    for (const auto& i : loaded.issuers)
        if (i.keys) keys += i.keys->keys.size();
    journal.record(Event::IdentityLoaded, LOG_INFO,
                   "identity: " + std::to_string(loaded.issuers.size()) + " issuer(s) from " +
                       config.identity_dir + ", " + std::to_string(keys) + " key(s)",
                   {{"JIT_IDENTITY_DIR", config.identity_dir},
                    {"JIT_ISSUERS", std::to_string(loaded.issuers.size())},
                    {"JIT_KEYS", std::to_string(keys)}});
    return std::make_shared<const IssuerSet>(std::move(loaded.issuers));
}

}  // namespace jit::daemon
