// base64url (RFC 4648 section 5) as JWS uses it: no padding, and only the
// canonical encoding of each byte string is accepted, so one token has one
// spelling (replay memory keys on it).  OpenSSL does the decoding.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace jit::daemon::identity {

std::optional<std::string> b64url_decode(std::string_view text);
std::string b64url_encode(std::string_view bytes);

}  // namespace jit::daemon::identity
