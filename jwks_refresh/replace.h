// Replaces a key-set file so that a reader (jitd) sees the old content or
// the new, never a mix or nothing: a temporary file in the same directory,
// written and fsync()ed, renamed over the old one, and the directory
// fsync()ed so the rename survives a crash.
#pragma once

#include <string>

#include "jwks_refresh/error.h"

namespace jit::jwks {

enum class Replaced { Unchanged, Written };

// Leaves the file alone (Unchanged) when it already holds exactly content.
// On any error the old file is untouched and the temporary file removed.
Result<Replaced, Failure> replace_file(const std::string& path, const std::string& content);

}  // namespace jit::jwks
