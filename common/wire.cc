#include "jit/wire.h"

#include <errno.h>
#include <string.h>

#include "wire_rules.h"

namespace jit::wire {

namespace {

using proto::kFieldHeaderSize;
using proto::kHeaderSize;
using proto::kMaxBody;

void put_u16(uint8_t* p, uint16_t v) {
    p[0] = uint8_t(v);
    p[1] = uint8_t(v >> 8);
}
void put_u32(uint8_t* p, uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = uint8_t(v >> (8 * i));
}
void put_u64(uint8_t* p, uint64_t v) {
    for (int i = 0; i < 8; ++i) p[i] = uint8_t(v >> (8 * i));
}
uint16_t get_u16(const uint8_t* p) {
    return uint16_t(p[0] | (p[1] << 8));
}
uint32_t get_u32(const uint8_t* p) {
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
uint64_t get_u64(const uint8_t* p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

Error protocol_error(const char* what) {
    return make_error(EPROTO, what);
}

// What a string's text needs: a check, or none because FrameWriter checked
// it as it was added (its own frames, in finish_valid).
enum class Text { Check, Written };

Result<void> check_value(const FieldView& f, const FieldSpec& spec, int depth, Text text);

Result<void> validate_fields(const Schema& schema, const uint8_t* p, size_t len, int depth,
                             uint16_t* counts, Text text) {
    const uint8_t* end = p + len;
    for (size_t i = 0; i < schema.count; ++i) counts[i] = 0;
    while (p < end) {
        if (size_t(end - p) < kFieldHeaderSize) return protocol_error("truncated field header");
        FieldView f;
        f.tag = FieldTag(get_u16(p));
        f.kind = FieldKind(p[2]);
        uint8_t flags = p[3];
        f.len = get_u32(p + 4);
        p += kFieldHeaderSize;
        if (flags != 0) return protocol_error("reserved field flags set");
        if (f.len > size_t(end - p)) return protocol_error("field length exceeds frame");
        if (kind_of(f.tag) == FieldKind(0)) return protocol_error("unknown field tag");
        if (kind_of(f.tag) != f.kind) return protocol_error("field kind does not match tag");
        f.data = p;
        size_t i = 0;
        while (i < schema.count && schema.fields[i].tag != f.tag) ++i;
        if (i == schema.count) return protocol_error("field not allowed in this message");
        if (++counts[i] > schema.fields[i].max) return protocol_error("field repeated");
        if (auto r = check_value(f, schema.fields[i], depth, text); !r) return r;
        p += f.len;
    }
    for (size_t i = 0; i < schema.count; ++i)
        if (counts[i] < schema.fields[i].min) return protocol_error("required field missing");
    return success();
}

Result<void> check_value(const FieldView& f, const FieldSpec& spec, int depth, Text text) {
    switch (f.kind) {
        case FieldKind::U64:
        case FieldKind::I64:
            if (f.len != 8) return protocol_error("integer field is not 8 bytes");
            return success();
        case FieldKind::Bool:
            if (f.len != 1 || f.data[0] > 1) return protocol_error("malformed boolean");
            return success();
        case FieldKind::String:
            if (f.len > proto::max_string_of(f.tag)) return protocol_error("string too long");
            if (text == Text::Check && !valid_text(reinterpret_cast<const char*>(f.data), f.len))
                return protocol_error("string is not valid UTF-8 text");
            return success();
        case FieldKind::Record: {
            if (depth > 0 || spec.record == nullptr) return protocol_error("nested record");
            uint16_t counts[kMaxSpecs];
            return validate_fields(*spec.record, f.data, f.len, depth + 1, counts, text);
        }
    }
    return protocol_error("unknown field kind");
}

}  // namespace

bool valid_text(const char* s, size_t len) {
    const auto* p = reinterpret_cast<const unsigned char*>(s);
    const unsigned char* end = p + len;
    while (p < end) {
        // Eight bytes at a time while they are ASCII and not NUL, as names,
        // services and reasons are: what a decision's frames mostly hold.
        if (size_t(end - p) >= 8) {
            constexpr uint64_t kOnes = 0x0101010101010101ull, kHighs = 0x8080808080808080ull;
            uint64_t w;
            memcpy(&w, p, 8);
            // High bit of a byte set: a NUL ((w - kOnes) & ~w) or non-ASCII (w).
            // Either is then looked at byte by byte, below.
            if (((((w - kOnes) & ~w) | w) & kHighs) == 0) {
                p += 8;
                continue;
            }
        }
        unsigned c = *p;
        if (c == 0) return false;
        if (c < 0x80) {
            ++p;
            continue;
        }
        size_t n;
        uint32_t cp, min;
        if ((c & 0xe0) == 0xc0)
            n = 1, cp = c & 0x1f, min = 0x80;
        else if ((c & 0xf0) == 0xe0)
            n = 2, cp = c & 0x0f, min = 0x800;
        else if ((c & 0xf8) == 0xf0)
            n = 3, cp = c & 0x07, min = 0x10000;
        else
            return false;
        if (size_t(end - p) <= n) return false;
        for (size_t i = 1; i <= n; ++i) {
            if ((p[i] & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        p += n + 1;
    }
    return true;
}

Result<FrameHeader> parse_header(const uint8_t* b, size_t len) {
    if (len != kHeaderSize) return protocol_error("short frame header");
    if (get_u32(b) != proto::kMagic) return protocol_error("bad frame magic");
    if (get_u16(b + 4) != proto::kVersion) return protocol_error("unsupported protocol version");
    FrameHeader h;
    h.type = MsgType(get_u16(b + 6));
    if (schema_for(h.type) == nullptr) return protocol_error("unknown message type");
    h.request_id = get_u32(b + 8);
    h.body_len = get_u32(b + 12);
    if (h.body_len > kMaxBody) return make_error(EMSGSIZE, "frame body exceeds limit");
    return h;
}

namespace {

Result<void> validate_body_text(MsgType type, const uint8_t* body, size_t len, Text text) {
    const Schema* schema = schema_for(type);
    if (schema == nullptr) return protocol_error("unknown message type");
    if (len > kMaxBody) return make_error(EMSGSIZE, "frame body exceeds limit");
    uint16_t counts[kMaxSpecs];
    if (auto r = validate_fields(*schema, body, len, 0, counts, text); !r) return r;
    return detail::check_message_rules(type, body, len);
}

}  // namespace

Result<void> validate_body(MsgType type, const uint8_t* body, size_t len) {
    return validate_body_text(type, body, len, Text::Check);
}

Result<MessageView> decode_frame(const uint8_t* bytes, size_t len) {
    if (len < kHeaderSize) return protocol_error("short frame header");
    auto h = parse_header(bytes, kHeaderSize);
    if (!h) return h.error();
    if (len - kHeaderSize != h->body_len) return protocol_error("frame length mismatch");
    MessageView m;
    m.header = *h;
    m.body = bytes + kHeaderSize;
    m.body_len = h->body_len;
    if (auto r = validate_body(m.header.type, m.body, m.body_len); !r) return r.error();
    return m;
}

uint64_t FieldView::u64() const {
    return get_u64(data);
}
int64_t FieldView::i64() const {
    return int64_t(get_u64(data));
}

bool FieldIterator::next(FieldView* out) {
    if (size_t(end_ - p_) < kFieldHeaderSize) return false;
    out->tag = FieldTag(get_u16(p_));
    out->kind = FieldKind(p_[2]);
    out->len = get_u32(p_ + 4);
    out->data = p_ + kFieldHeaderSize;
    if (out->len > size_t(end_ - out->data)) return false;  // never on a validated body
    p_ = out->data + out->len;
    return true;
}

FrameWriter::FrameWriter(uint8_t* buf, size_t capacity, MsgType type, uint32_t request_id)
    : buf_(buf), capacity_(capacity), len_(kHeaderSize), type_(type) {
    if (capacity_ > proto::kMaxFrame) capacity_ = proto::kMaxFrame;
    if (capacity_ < kHeaderSize) {
        fail(EMSGSIZE, "buffer smaller than a frame header");
        return;
    }
    put_u32(buf_, proto::kMagic);
    put_u16(buf_ + 4, proto::kVersion);
    put_u16(buf_ + 6, uint16_t(type));
    put_u32(buf_ + 8, request_id);
    put_u32(buf_ + 12, 0);
}

void FrameWriter::fail(int code, const char* what) {
    if (!failed_) error_ = make_error(code, what);
    failed_ = true;
}

uint8_t* FrameWriter::field_header(FieldTag tag, FieldKind kind, size_t value_len) {
    if (failed_) return nullptr;
    if (kind_of(tag) != kind) {
        fail(EINVAL, "field kind does not match tag");
        return nullptr;
    }
    if (value_len > capacity_ - len_ || capacity_ - len_ - value_len < kFieldHeaderSize) {
        fail(EMSGSIZE, "message too large for a frame");
        return nullptr;
    }
    uint8_t* p = buf_ + len_;
    put_u16(p, uint16_t(tag));
    p[2] = uint8_t(kind);
    p[3] = 0;
    put_u32(p + 4, uint32_t(value_len));
    len_ += kFieldHeaderSize + value_len;
    return p + kFieldHeaderSize;
}

void FrameWriter::add_string(FieldTag tag, std::string_view value) {
    if (value.size() > proto::max_string_of(tag)) return fail(EINVAL, "string too long");
    if (!valid_text(value.data(), value.size())) return fail(EINVAL, "string is not UTF-8 text");
    if (uint8_t* p = field_header(tag, FieldKind::String, value.size()))
        if (!value.empty()) memcpy(p, value.data(), value.size());
}

void FrameWriter::add_u64(FieldTag tag, uint64_t value) {
    if (uint8_t* p = field_header(tag, FieldKind::U64, 8)) put_u64(p, value);
}

void FrameWriter::add_i64(FieldTag tag, int64_t value) {
    if (uint8_t* p = field_header(tag, FieldKind::I64, 8)) put_u64(p, uint64_t(value));
}

void FrameWriter::add_bool(FieldTag tag, bool value) {
    if (uint8_t* p = field_header(tag, FieldKind::Bool, 1)) p[0] = value ? 1 : 0;
}

void FrameWriter::begin_record(FieldTag tag) {
    if (record_start_ != 0) return fail(EINVAL, "nested record");
    size_t at = len_;
    if (field_header(tag, FieldKind::Record, 0)) record_start_ = at;
}

void FrameWriter::end_record() {
    if (failed_) return;
    if (record_start_ == 0) return fail(EINVAL, "end_record without begin_record");
    size_t value_len = len_ - record_start_ - kFieldHeaderSize;
    put_u32(buf_ + record_start_ + 4, uint32_t(value_len));
    record_start_ = 0;
}

Result<size_t> FrameWriter::finish() {
    if (record_start_ != 0) fail(EINVAL, "record left open");
    if (failed_) return error_;
    put_u32(buf_ + 12, uint32_t(len_ - kHeaderSize));
    return len_;
}

Result<size_t> FrameWriter::finish_valid() {
    auto len = finish();
    if (!len) return len;
    // Never send what the other side must refuse (an allow without a grant
    // id, a grant without services, ...): check our own frame too.
    if (auto valid =
            validate_body_text(type_, buf_ + kHeaderSize, *len - kHeaderSize, Text::Written);
        !valid)
        return make_error(EINVAL, valid.error().what);
    return len;
}

}  // namespace jit::wire
