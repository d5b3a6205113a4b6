// The schemas the decoder enforces and the largest frame of each message
// type, derived at compile time from the declarations in protocol.h.  Pure
// data: usable by the modules, and in constant expressions (a fixed reply
// buffer is sized with max_frame_size()).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "jit/protocol.h"

namespace jit::wire {

using proto::FieldKind;
using proto::FieldTag;
using proto::MsgType;

struct Schema;
struct FieldSpec {
    FieldTag tag{};
    uint16_t min = 0;  // occurrences required
    uint16_t max = 0;  // occurrences allowed
    const Schema* record = nullptr;
};
struct Schema {
    const FieldSpec* fields;
    size_t count;
};

// The most fields one schema lists (the request record has 29).
inline constexpr size_t kMaxSpecs = 32;

namespace schema_detail {

using namespace jit::proto;

// Each table ends with an empty FieldSpec so that a message without fields
// still has an array.  A schema that names a tag twice, allows a field less
// often than it requires it, or nests records does not build: the call to
// the non-constexpr function below is the compile error.
void schema_declaration_is_inconsistent();

// Whether a record declaration lays out this tag's value.  (Not a pointer
// test: gcc's -fsanitize=undefined refuses those in constant expressions.)
constexpr bool has_record_layout(FieldTag tag) {
    switch (tag) {
#define JIT_RECORD_CASE(tag, fields) \
    case FieldTag::tag:              \
        return true;
        JIT_RECORDS(JIT_RECORD_CASE)
#undef JIT_RECORD_CASE
        default:
            return false;
    }
}

template <size_t N>
consteval Schema checked(const FieldSpec (&fields)[N], bool is_record) {
    if (N - 1 > kMaxSpecs) schema_declaration_is_inconsistent();
    for (size_t i = 0; i + 1 < N; ++i) {
        const FieldSpec& f = fields[i];
        if (f.max == 0 || f.min > f.max) schema_declaration_is_inconsistent();
        if (kind_of(f.tag) == FieldKind::Record && (is_record || !has_record_layout(f.tag)))
            schema_declaration_is_inconsistent();
        for (size_t j = i + 1; j + 1 < N; ++j)
            if (f.tag == fields[j].tag) schema_declaration_is_inconsistent();
    }
    return Schema{fields, N - 1};
}

#define JIT_RECORD_FIELD(tag, member, occurs) FieldSpec{FieldTag::tag, occurs.min, occurs.max},
#define JIT_RECORD_SCHEMA(tag, fields)                                                          \
    inline constexpr FieldSpec k##tag##RecordFields[] = {fields(JIT_RECORD_FIELD) FieldSpec{}}; \
    inline constexpr Schema k##tag##Record = checked(k##tag##RecordFields, true);
JIT_RECORDS(JIT_RECORD_SCHEMA)
#undef JIT_RECORD_SCHEMA
#undef JIT_RECORD_FIELD

constexpr const Schema* record_schema(FieldTag tag) {
    switch (tag) {
#define JIT_RECORD_CASE(tag, fields) \
    case FieldTag::tag:              \
        return &k##tag##Record;
        JIT_RECORDS(JIT_RECORD_CASE)
#undef JIT_RECORD_CASE
        default:
            return nullptr;
    }
}

#define JIT_MESSAGE_FIELD(tag, member, occurs) \
    FieldSpec{FieldTag::tag, occurs.min, occurs.max, record_schema(FieldTag::tag)},
#define JIT_MESSAGE_SCHEMA(name, number, type, fields)                                      \
    inline constexpr FieldSpec k##name##Fields[] = {fields(JIT_MESSAGE_FIELD) FieldSpec{}}; \
    inline constexpr Schema k##name##Schema = checked(k##name##Fields, false);
JIT_MESSAGES(JIT_MESSAGE_SCHEMA)
#undef JIT_MESSAGE_SCHEMA
#undef JIT_MESSAGE_FIELD

}  // namespace schema_detail

// The schema of a message type, or nullptr for a number that is no type.
constexpr const Schema* schema_for(MsgType type) {
    switch (type) {
#define JIT_MESSAGE_CASE(name, number, type, fields) \
    case MsgType::name:                              \
        return &schema_detail::k##name##Schema;
        JIT_MESSAGES(JIT_MESSAGE_CASE)
#undef JIT_MESSAGE_CASE
    }
    return nullptr;
}

// The most bytes a body laid out by this schema can take.
constexpr size_t max_body_size(const Schema& schema) {
    size_t total = 0;
    for (size_t i = 0; i < schema.count; ++i) {
        const FieldSpec& f = schema.fields[i];
        size_t value = 0;
        switch (proto::kind_of(f.tag)) {
            case FieldKind::U64:
            case FieldKind::I64:
                value = 8;
                break;
            case FieldKind::Bool:
                value = 1;
                break;
            case FieldKind::String:
                value = proto::max_string_of(f.tag);
                break;
            case FieldKind::Record:
                value = max_body_size(*f.record);  // checked(): never null
                break;
        }
        total += size_t(f.max) * (proto::kFieldHeaderSize + value);
    }
    return total;
}

// The largest frame of this type the protocol allows (never above
// kMaxFrame), or 0 for a number that is no type.  A reader with a buffer this
// large never refuses a valid frame of this type for its size.
constexpr size_t max_frame_size(MsgType type) {
    size_t size = 0;
    switch (type) {
#define JIT_MESSAGE_SIZE(name, number, type, fields)                               \
    case MsgType::name:                                                            \
        size = proto::kHeaderSize + max_body_size(schema_detail::k##name##Schema); \
        break;
        JIT_MESSAGES(JIT_MESSAGE_SIZE)
#undef JIT_MESSAGE_SIZE
    }
    return size < proto::kMaxFrame ? size : proto::kMaxFrame;
}

// Room for any reply a request can get: its own reply type or ERROR_REPLY.
constexpr size_t max_reply_size(MsgType reply) {
    size_t own = max_frame_size(reply), error = max_frame_size(MsgType::ErrorReply);
    return own > error ? own : error;
}

}  // namespace jit::wire
