// Builds frames byte by byte, independently of wire::FrameWriter, so tests can
// say exactly which malformed frame they hand the decoder (a wrong kind, a
// stray flag, a lying length) and so valid frames are not checked only against
// the encoder that produced them.
#pragma once

#include <stdint.h>

#include <optional>
#include <string_view>
#include <vector>

#include "jit/protocol.h"

namespace jit::test {

using Bytes = std::vector<uint8_t>;

inline void put_le(Bytes& out, uint64_t v, int size) {
    for (int i = 0; i < size; ++i) out.push_back(uint8_t(v >> (8 * i)));
}

class RawFrame {
public:
    explicit RawFrame(proto::MsgType type, uint32_t request_id = 7)
        : type(uint16_t(type)), request_id(request_id) {}

    // One field with every header byte under the caller's control.
    RawFrame& field(uint16_t tag, uint8_t kind, const Bytes& value, uint8_t flags = 0,
                    std::optional<uint32_t> len = std::nullopt) {
        put_le(body_, tag, 2);
        body_.push_back(kind);
        body_.push_back(flags);
        put_le(body_, len.value_or(uint32_t(value.size())), 4);
        body_.insert(body_.end(), value.begin(), value.end());
        return *this;
    }
    RawFrame& str(proto::FieldTag tag, std::string_view s) {
        return field(uint16_t(tag), uint8_t(proto::FieldKind::String), Bytes(s.begin(), s.end()));
    }
    RawFrame& u64(proto::FieldTag tag, uint64_t v) {
        Bytes b;
        put_le(b, v, 8);
        return field(uint16_t(tag), uint8_t(proto::FieldKind::U64), b);
    }
    RawFrame& i64(proto::FieldTag tag, int64_t v) {
        Bytes b;
        put_le(b, uint64_t(v), 8);
        return field(uint16_t(tag), uint8_t(proto::FieldKind::I64), b);
    }
    RawFrame& boolean(proto::FieldTag tag, uint8_t v) {
        return field(uint16_t(tag), uint8_t(proto::FieldKind::Bool), Bytes{v});
    }
    // A record field whose value is the body of `inner`.
    RawFrame& record(proto::FieldTag tag, const RawFrame& inner) {
        return field(uint16_t(tag), uint8_t(proto::FieldKind::Record), inner.body());
    }
    RawFrame& append(const Bytes& raw) {
        body_.insert(body_.end(), raw.begin(), raw.end());
        return *this;
    }

    const Bytes& body() const { return body_; }

    // Header plus body; body_len is the real body size unless overridden.
    Bytes frame() const {
        Bytes out;
        put_le(out, magic, 4);
        put_le(out, version, 2);
        put_le(out, type, 2);
        put_le(out, request_id, 4);
        put_le(out, body_len.value_or(uint32_t(body_.size())), 4);
        out.insert(out.end(), body_.begin(), body_.end());
        return out;
    }

    // Header fields, public so a test can corrupt exactly one of them.
    uint32_t magic = proto::kMagic;
    uint16_t version = proto::kVersion;
    uint16_t type;
    uint32_t request_id;
    std::optional<uint32_t> body_len;

private:
    Bytes body_;
};

// A grant record body with every required field, to build on or break.
inline RawFrame grant_record_body(std::string_view id = "g-7kq2m9ab") {
    using proto::FieldTag;
    RawFrame r(proto::MsgType::GrantReply);
    r.str(FieldTag::GrantId, id)
        .str(FieldTag::User, "deploy")
        .str(FieldTag::Service, "sshd")
        .i64(FieldTag::NotBefore, 1764440100)
        .i64(FieldTag::NotAfter, 1764441000)
        .str(FieldTag::Reason, "release 4.2")
        .u64(FieldTag::GrantedBy, 0)
        .i64(FieldTag::Created, 1764440000)
        .u64(FieldTag::State, uint64_t(proto::GrantState::Active));
    return r;
}

}  // namespace jit::test
