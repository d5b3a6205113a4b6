// --id-token FILE|-: a workload's OIDC token, read from a file or from
// standard input, never from the command line (argv is readable by every
// local user in /proc/PID/cmdline while jitctl runs).
#pragma once

#include <string>

#include <optional>

namespace jit::ctl {

// The token into *token, without trailing blanks and newlines; the error
// in words, if any.
std::optional<std::string> read_id_token(const std::string& arg, std::string* token);

// Whether text looks like a compact JWS itself (a token passed literally).
bool looks_like_token(const std::string& text);

}  // namespace jit::ctl
