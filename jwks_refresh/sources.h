// Where each issuer's key set comes from and where it goes: the sections of
// /etc/jit/identity.d/*.conf (jit-identity(5)).  jitd reads the same files
// and checks every key; this reader takes only the three that matter to a
// refresh and leaves the rest to jitd.
#pragma once

#include <string>
#include <vector>

#include "jwks_refresh/error.h"

namespace jit::jwks {

struct Source {
    std::string name;       // the section, e.g. "github"
    std::string file;       // the .conf it came from, for messages
    std::string issuer;     // `issuer`
    std::string jwks_file;  // `jwks_file`: what we replace
    // `jwks_uri`: an https:// URL, or "discovery" (OIDC discovery from the
    // issuer).  Empty: the key set is shipped by hand; we leave it alone.
    std::string jwks_uri;
    bool discovery() const { return jwks_uri == "discovery"; }
};

// Reads every *.conf of dir in name order.  A file that cannot be read or
// parsed is an error for the whole run: a half-read configuration could
// skip an issuer silently.
Result<std::vector<Source>, Failure> read_sources(const std::string& dir);

// Checks one source's values (absolute jwks_file, https:// URLs); the
// problem names the section and key.
Result<void, Failure> check_source(const Source& s);

}  // namespace jit::jwks
