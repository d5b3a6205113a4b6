// Grant ids: short, unguessable, copy-pastable ("g-7kq2m9xa").
#pragma once

#include <string>
#include <string_view>

#include "jit/result.h"

namespace jit::daemon {

// "g-" followed by 8 characters of lowercase Crockford base32 (no i, l, o, u),
// 40 bits from getrandom().
Result<std::string> new_grant_id();
// prefix followed by chars characters of the same alphabet, from getrandom()
// (at most 32); jit-fleet's request and grant ids ("fr-", "fg-") use it too.
Result<std::string> new_random_id(std::string_view prefix, size_t chars);
bool valid_grant_id(std::string_view id);

// Account names as useradd accepts them: [a-z_][a-z0-9_.-]{0,31}.
bool valid_user_name(std::string_view name);
// PAM service names: [A-Za-z0-9][A-Za-z0-9_.@+-]{0,63}.
bool valid_service_name(std::string_view name);

}  // namespace jit::daemon
