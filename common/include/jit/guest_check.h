// Reading jitd's answer to a check, shared by the guests (pam_jit.so's
// account phase, jit_sudo.so).  Allow comes only from a complete, validated
// CHECK_REPLY that says allow, names a grant and ends in the future.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string_view>

#include "jit/protocol.h"
#include "jit/result.h"
#include "jit/wire.h"

namespace jit::guest {

// Room for the largest CHECK_REPLY the protocol allows (Reason, GrantId and
// Rule at kMaxString each): a smaller buffer would deny a valid allow.
inline constexpr size_t kMaxCheckReply =
    proto::kHeaderSize + 5 * proto::kFieldHeaderSize + 2 * 8 + 3 * proto::kMaxString;

struct CheckVerdict {
    bool allow = false;  // set only from a complete, validated allow reply
    char reason[256] = "";
    char grant_id[64] = "";
    char rule[256] = "";
    int64_t not_after = 0;
};

// Copies s into dst (capacity cap, cap > 0), truncating, always terminated.
void copy_text(char* dst, size_t cap, std::string_view s);

// Reads a validated CHECK_REPLY or ERROR_REPLY.  An ERROR_REPLY or another
// type is an error (its message, if any, in verdict->reason); anything but a
// well-formed allow still in force on our own clock leaves allow false.
Result<void> read_check_reply(const wire::MessageView& reply, CheckVerdict* verdict);

}  // namespace jit::guest
