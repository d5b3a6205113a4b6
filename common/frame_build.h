// The encoders' shared steps (messages*.cc, request_messages.cc): write a
// frame, then validate it against its own schema before it may be sent.
// Private to common/.
#pragma once

#include <errno.h>

#include <string>

#include "jit/messages.h"

namespace jit::msg::detail {

template <typename Fill>
Result<Frame> build(proto::MsgType type, uint32_t request_id, Fill fill) {
    Frame frame(proto::kMaxFrame);
    wire::FrameWriter w(frame.data(), frame.size(), type, request_id);
    fill(w);
    auto len = w.finish();
    if (!len) return len.error();
    // Never send what the other side must refuse (an allow without a grant
    // id, a grant without services, ...): check our own frame too.
    if (auto valid =
            wire::validate_body(type, frame.data() + proto::kHeaderSize, *len - proto::kHeaderSize);
        !valid)
        return make_error(EINVAL, valid.error().what);
    frame.resize(*len);
    return frame;
}

inline void add_optional(wire::FrameWriter& w, proto::FieldTag tag, const std::string& s) {
    if (!s.empty()) w.add_string(tag, s);
}

}  // namespace jit::msg::detail
