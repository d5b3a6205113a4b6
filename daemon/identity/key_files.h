// The key sets of the configured issuers, read from their JWKS files (which
// jit-jwks-refresh or an administrator keeps fresh; jitd never fetches).
// Read at start and on reload: a file that cannot be read or parsed keeps
// the keys the same issuer had before, so a torn or bad refresh never takes
// working keys away; with none before, the issuer has no keys and its
// tokens are refused (no-keys).  Each such file is named in problems for
// the caller to journal.
#pragma once

#include <string>
#include <vector>

#include "daemon/identity/verifier.h"

namespace jit::daemon::identity {

struct KeyLoad {
    std::vector<Issuer> issuers;        // one per provider, in order
    std::vector<std::string> problems;  // "NAME: PATH: why; what was kept"
};

KeyLoad load_key_sets(const ProviderSet& providers, const std::vector<Issuer>& previous);

// A JWKS file's key set: a regular file not writable by group or others
// (whoever writes it can mint grants; its owner may be jit-jwks-refresh's
// dynamic user), at most kMaxJwksBytes, and a valid set (parse_jwks).
Result<KeySet, std::string> read_key_file(const std::string& path);

}  // namespace jit::daemon::identity
