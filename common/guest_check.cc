#include "jit/guest_check.h"

#include <errno.h>
#include <string.h>
#include <time.h>

namespace jit::guest {

using proto::FieldTag;

void copy_text(char* dst, size_t cap, std::string_view s) {
    size_t n = s.size() < cap - 1 ? s.size() : cap - 1;
    memcpy(dst, s.data(), n);
    dst[n] = '\0';
}

Result<void> read_check_reply(const wire::MessageView& reply, CheckVerdict* verdict) {
    wire::FieldIterator it(reply.body, reply.body_len);
    wire::FieldView f;
    if (reply.header.type == proto::MsgType::ErrorReply) {
        while (it.next(&f))
            if (f.tag == FieldTag::Message)
                copy_text(verdict->reason, sizeof verdict->reason, f.str());
        return make_error(EPROTO, "jitd refused the check");
    }
    if (reply.header.type != proto::MsgType::CheckReply)
        return make_error(EPROTO, "jitd answered with the wrong message type");
    bool allow = false;
    while (it.next(&f)) {
        switch (f.tag) {
            case FieldTag::Decision:
                allow = f.u64() == uint64_t(proto::Decision::Allow);
                break;
            case FieldTag::Reason:
                copy_text(verdict->reason, sizeof verdict->reason, f.str());
                break;
            case FieldTag::GrantId:
                copy_text(verdict->grant_id, sizeof verdict->grant_id, f.str());
                break;
            case FieldTag::Rule:
                copy_text(verdict->rule, sizeof verdict->rule, f.str());
                break;
            case FieldTag::NotAfter:
                verdict->not_after = f.i64();
                break;
            default:
                break;
        }
    }
    // The decoder already insists an allow carries a grant id and an expiry;
    // an expiry already past on our own clock is not an allow.
    verdict->allow = allow && verdict->grant_id[0] != '\0' && verdict->not_after > time(nullptr);
    return success();
}

}  // namespace jit::guest
