// What both PAM phases share: reading PAM items, the client options from the
// module arguments, request ids.  No allocation, no exceptions.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string_view>

#include <security/pam_modules.h>

#include "args.h"
#include "jit/client.h"

namespace jit::pam {

// The item's text, or "" when it is unset.
const char* item(pam_handle_t* pamh, int type);
// Copies s into dst (capacity cap, cap > 0), truncating, always terminated.
void copy_text(char* dst, size_t cap, std::string_view s);
uint32_t request_id();
ClientOptions client_options(const ModuleArgs& args);

}  // namespace jit::pam
