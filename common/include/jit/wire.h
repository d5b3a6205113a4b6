// Codec for the frames defined in protocol.h.  Allocation-free and
// exception-free: it works on caller-owned buffers, so the PAM module can use
// it without the C++ runtime.  The decoder validates a whole frame against the
// message's schema before any field is handed out.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string_view>

#include "jit/protocol.h"
#include "jit/result.h"
#include "jit/schema.h"

namespace jit::wire {

using proto::FieldKind;
using proto::FieldTag;
using proto::kind_of;
using proto::MsgType;

struct FrameHeader {
    MsgType type{};
    uint32_t request_id = 0;
    uint32_t body_len = 0;
};

// Validates the fixed header: magic, version, known type and body_len <=
// kMaxBody.  Needs exactly kHeaderSize bytes.  EPROTO on any mismatch,
// EMSGSIZE when the announced body is too large.
Result<FrameHeader> parse_header(const uint8_t* bytes, size_t len);

// True when s is strict UTF-8 (no overlong forms, surrogates or values above
// U+10FFFF) and contains no NUL.
bool valid_text(const char* s, size_t len);

class FrameWriter {
public:
    FrameWriter(uint8_t* buf, size_t capacity, MsgType type, uint32_t request_id);

    void add_string(FieldTag tag, std::string_view value);
    void add_u64(FieldTag tag, uint64_t value);
    void add_i64(FieldTag tag, int64_t value);
    void add_bool(FieldTag tag, bool value);
    void begin_record(FieldTag tag);
    void end_record();

    // Completes the header and returns the frame length.  Fails (EMSGSIZE,
    // EINVAL) if any add overflowed the buffer or the frame limits, or a value
    // was malformed; the first error wins.  The result is not re-validated
    // against the schema: the writer's callers are ours.
    Result<size_t> finish();
    // finish(), then the frame is checked against its own schema and rules:
    // EINVAL when it breaks them.  What the typed encoders send.
    Result<size_t> finish_valid();

private:
    uint8_t* field_header(FieldTag tag, FieldKind kind, size_t value_len);
    void fail(int code, const char* what);

    uint8_t* buf_;
    size_t capacity_;
    size_t len_;
    MsgType type_;
    size_t record_start_ = 0;  // offset of the open record's field header, 0 if none
    bool failed_ = false;
    Error error_{};
};

struct FieldView {
    FieldTag tag{};
    FieldKind kind{};
    const uint8_t* data = nullptr;
    uint32_t len = 0;

    uint64_t u64() const;
    int64_t i64() const;
    bool boolean() const { return data[0] != 0; }
    std::string_view str() const { return {reinterpret_cast<const char*>(data), len}; }
};

// Walks the fields of an already validated body (or record value).
class FieldIterator {
public:
    FieldIterator(const uint8_t* body, size_t len) : p_(body), end_(body + len) {}
    FieldIterator(const FieldView& record) : p_(record.data), end_(record.data + record.len) {}
    bool next(FieldView* out);

private:
    const uint8_t* p_;
    const uint8_t* end_;
};

struct MessageView {
    FrameHeader header;
    const uint8_t* body = nullptr;
    size_t body_len = 0;
};

// Decodes and fully validates one complete frame occupying exactly len bytes.
Result<MessageView> decode_frame(const uint8_t* bytes, size_t len);

// Validates a body against the schema of its message type.
Result<void> validate_body(MsgType type, const uint8_t* body, size_t len);

}  // namespace jit::wire
