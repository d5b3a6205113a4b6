// encode_as and decode_as for every jit::msg struct: the codec of codec.h
// applied to the standard-library types the structs use.  Adding a message
// is its declaration in protocol.h (JIT_MESSAGES names the struct) and its
// struct in a header included here; encode_as/decode_as then handle it.
#pragma once

#include <errno.h>

#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "jit/codec.h"
#include "jit/command_messages.h"
#include "jit/identity_messages.h"
#include "jit/fleet_messages.h"
#include "jit/messages.h"
#include "jit/request_messages.h"

namespace jit::codec {

// An optional field: written when set (a required one always, as T{} when
// unset), and set when read.
template <typename T>
struct ValueCodec<std::optional<T>> {
    static constexpr FieldKind kind = ValueCodec<T>::kind;
    static constexpr bool repeated = false;
    template <FieldTag Tag>
    static void put(wire::FrameWriter& w, bool required, const std::optional<T>& v) {
        if (v || required) ValueCodec<T>::template put<Tag>(w, true, v.value_or(T{}));
    }
    template <FieldTag Tag>
    static void get(std::optional<T>& v, const wire::FieldView& f) {
        ValueCodec<T>::template get<Tag>(v.emplace(), f);
    }
};

// A repeated field: every element written, in order, even an empty string.
// Elements that are not scalars are records, laid out by the tag's record
// declaration.
template <typename T>
struct ValueCodec<std::vector<T>> {
    static constexpr bool is_record = !StringLike<T> && std::is_class_v<T>;
    static constexpr FieldKind element_kind() {
        if constexpr (is_record)
            return FieldKind::Record;
        else
            return ValueCodec<T>::kind;
    }
    static constexpr FieldKind kind = element_kind();
    static constexpr bool repeated = true;
    template <FieldTag Tag>
    static void put(wire::FrameWriter& w, bool, const std::vector<T>& v) {
        for (const T& item : v) {
            if constexpr (is_record) {
                w.begin_record(Tag);
                put_fields(w, record_fields<Tag, T>(), item);
                w.end_record();
            } else {
                ValueCodec<T>::template put<Tag>(w, true, item);
            }
        }
    }
    template <FieldTag Tag>
    static void get(std::vector<T>& v, const wire::FieldView& f) {
        T& item = v.emplace_back();
        if constexpr (is_record)
            get_fields(item, record_fields<Tag, T>(), f.data, f.len);
        else
            ValueCodec<T>::template get<Tag>(item, f);
    }
};

}  // namespace jit::codec

namespace jit::msg {

// A frame up to this size is written on the stack (encode_as).
inline constexpr size_t kSmallFrame = 2048;

// The fields message type `type` binds to S, if it carries S.
template <typename S>
bool fields_for(proto::MsgType type, codec::FieldList<S>* out) {
#define JIT_MESSAGE_CASE(name, number, Struct, fields)               \
    if constexpr (std::is_same_v<S, Struct>) {                       \
        if (type == proto::MsgType::name) {                          \
            *out = codec::message_fields<proto::MsgType::name, S>(); \
            return true;                                             \
        }                                                            \
    }
    JIT_MESSAGES(JIT_MESSAGE_CASE)
#undef JIT_MESSAGE_CASE
    return false;
}

// The frame of type `type` carrying m, checked against its schema and
// rules: EINVAL when it breaks them or `type` does not carry S, EMSGSIZE
// when it exceeds kMaxFrame.
template <typename S>
Result<Frame> encode_as(proto::MsgType type, const S& m, uint32_t request_id) {
    codec::FieldList<S> fields;
    if (!fields_for(type, &fields)) return make_error(EINVAL, "message type does not carry this");
    // Written into a buffer left uninitialised (the writer sets every byte
    // it counts), then copied at its length: a zero-filled 64 KiB frame for
    // each reply was most of the instructions jitd spent on a CHECK.  Most
    // frames fit one on the stack; one that does not is written again into
    // a buffer of the whole limit (a 64 KiB allocation and its release cost
    // a CHECK's answer about 700 instructions).
    auto write = [&](uint8_t* buf, size_t cap) -> Result<Frame> {
        wire::FrameWriter w(buf, cap, type, request_id);
        codec::put_fields(w, fields, m);
        auto len = w.finish_valid();
        if (!len) return len.error();
        return Frame(buf, buf + *len);
    };
    uint8_t small[kSmallFrame];
    auto frame = write(small, sizeof small);
    if (frame || frame.error().code != EMSGSIZE) return frame;
    std::unique_ptr<uint8_t[]> buf(new uint8_t[proto::kMaxFrame]);
    return write(buf.get(), proto::kMaxFrame);
}

// The message in a frame decode_frame accepted, read as S; an empty S when
// v's type does not carry S.
template <typename S>
S decode_as(const wire::MessageView& v) {
    S m{};
    codec::FieldList<S> fields;
    if (fields_for(v.header.type, &fields)) codec::get_fields(m, fields, v.body, v.body_len);
    return m;
}

}  // namespace jit::msg
