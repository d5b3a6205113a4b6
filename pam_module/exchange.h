// What both PAM phases share: reading PAM items, and the helpers every guest
// shares.  No allocation, no exceptions.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <security/pam_modules.h>

#include "jit/client.h"
#include "jit/guest_args.h"
#include "jit/guest_check.h"
#include "jit/guest_managed.h"

namespace jit::pam {

// The item's text, or "" when it is unset.
const char* item(pam_handle_t* pamh, int type);

// The argument parsing and the managed-account test are shared with jit_sudo.so.
using guest::classify_user;
using guest::client_options;
using guest::copy_text;
using guest::Managed;
using guest::ModuleArgs;
using guest::parse_args;
using guest::request_id;

}  // namespace jit::pam
