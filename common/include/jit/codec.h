// Encoders and decoders derived from the message declarations in
// protocol.h.  A declaration names each field's struct member, so any struct
// with those members can be written and read: the jit::msg structs
// (std::string, std::vector, std::optional; messages.cc adds those types) and
// the allocation-free jit::view ones (message_views.h) that the modules use.
// Header-only templates over FrameWriter and FieldIterator: nothing here
// allocates, throws or needs the C++ runtime.
//
// How a member goes on the wire follows from its type (ValueCodec):
//   uint64_t, enums: U64; int64_t: I64; bool: Bool; string-like: String.
// A required field is always written; an optional string only when not
// empty, an optional bool only when true, an integer always (use
// std::optional for one that may be absent).
#pragma once

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include <string_view>
#include <type_traits>

#include "jit/protocol.h"
#include "jit/result.h"
#include "jit/wire.h"

namespace jit::codec {

using proto::FieldKind;
using proto::FieldTag;
using proto::MsgType;
using proto::Occurs;

// How one member type is written and read.  `repeated`: one member holds
// every occurrence of the field.
template <typename T>
struct ValueCodec;

template <typename T>
concept StringLike = std::is_convertible_v<const T&, std::string_view> && !std::is_pointer_v<T>;

template <StringLike T>
struct ValueCodec<T> {
    static constexpr FieldKind kind = FieldKind::String;
    static constexpr bool repeated = false;
    template <FieldTag Tag>
    static void put(wire::FrameWriter& w, bool required, const T& v) {
        std::string_view s(v);
        if (required || !s.empty()) w.add_string(Tag, s);
    }
    template <FieldTag Tag>
    static void get(T& v, const wire::FieldView& f) {
        v = f.str();
    }
};

template <>
struct ValueCodec<uint64_t> {
    static constexpr FieldKind kind = FieldKind::U64;
    static constexpr bool repeated = false;
    template <FieldTag Tag>
    static void put(wire::FrameWriter& w, bool, uint64_t v) {
        w.add_u64(Tag, v);
    }
    template <FieldTag Tag>
    static void get(uint64_t& v, const wire::FieldView& f) {
        v = f.u64();
    }
};

template <typename E>
requires std::is_enum_v<E>
struct ValueCodec<E> {
    static constexpr FieldKind kind = FieldKind::U64;
    static constexpr bool repeated = false;
    template <FieldTag Tag>
    static void put(wire::FrameWriter& w, bool, E v) {
        w.add_u64(Tag, uint64_t(v));
    }
    template <FieldTag Tag>
    static void get(E& v, const wire::FieldView& f) {
        v = E(f.u64());
    }
};

template <>
struct ValueCodec<int64_t> {
    static constexpr FieldKind kind = FieldKind::I64;
    static constexpr bool repeated = false;
    template <FieldTag Tag>
    static void put(wire::FrameWriter& w, bool, int64_t v) {
        w.add_i64(Tag, v);
    }
    template <FieldTag Tag>
    static void get(int64_t& v, const wire::FieldView& f) {
        v = f.i64();
    }
};

template <>
struct ValueCodec<bool> {
    static constexpr FieldKind kind = FieldKind::Bool;
    static constexpr bool repeated = false;
    template <FieldTag Tag>
    static void put(wire::FrameWriter& w, bool required, bool v) {
        if (required || v) w.add_bool(Tag, v);
    }
    template <FieldTag Tag>
    static void get(bool& v, const wire::FieldView& f) {
        v = f.boolean();
    }
};

// One declared field bound to a member of S.
template <typename S>
struct Binding {
    FieldTag tag{};
    bool required = false;
    void (*put)(wire::FrameWriter&, const Binding&, const S&) = nullptr;
    void (*get)(S&, const wire::FieldView&) = nullptr;
};

template <typename>
struct MemberTraits;
template <typename C, typename T>
struct MemberTraits<T C::*> {
    using Owner = C;
    using Value = T;
};
template <auto M>
using OwnerOf = typename MemberTraits<decltype(M)>::Owner;
template <auto M>
using ValueOf = typename MemberTraits<decltype(M)>::Value;

template <FieldTag Tag, auto M>
void put_member(wire::FrameWriter& w, const Binding<OwnerOf<M>>& b, const OwnerOf<M>& s) {
    ValueCodec<ValueOf<M>>::template put<Tag>(w, b.required, s.*M);
}

template <FieldTag Tag, auto M>
void get_member(OwnerOf<M>& s, const wire::FieldView& f) {
    ValueCodec<ValueOf<M>>::template get<Tag>(s.*M, f);
}

// A member whose type does not fit its tag's kind or occurrences does not build.
template <FieldTag Tag, Occurs O, auto M>
constexpr Binding<OwnerOf<M>> bind() {
    using Codec = ValueCodec<ValueOf<M>>;
    static_assert(Codec::kind == proto::kind_of(Tag), "member type does not fit the tag's kind");
    static_assert(Codec::repeated || O.max <= 1, "a repeated field needs a container member");
    return {Tag, O.min > 0, &put_member<Tag, M>, &get_member<Tag, M>};
}

// The bindings of one message or record for struct S.
template <typename S>
struct FieldList {
    const Binding<S>* fields;
    size_t count;
};

// One function per message and record, generated from protocol.h; each
// binds the declared fields to the members of S of the same names.
namespace layout {
using namespace jit::proto;  // the declarations name kMaxServices, required, ...
#define JIT_BIND(tag, member, occurs) bind<FieldTag::tag, occurs, &S::member>(),
#define JIT_FIELD_LIST(fields)                                            \
    static constexpr Binding<S> list[] = {fields(JIT_BIND) Binding<S>{}}; \
    return {list, sizeof list / sizeof list[0] - 1};
#define JIT_MESSAGE_LIST(name, number, type, fields) \
    template <typename S>                            \
    FieldList<S> message_##name() {                  \
        JIT_FIELD_LIST(fields)                       \
    }
#define JIT_RECORD_LIST(tag, fields) \
    template <typename S>            \
    FieldList<S> record_##tag() {    \
        JIT_FIELD_LIST(fields)       \
    }
JIT_MESSAGES(JIT_MESSAGE_LIST)
JIT_RECORDS(JIT_RECORD_LIST)
#undef JIT_RECORD_LIST
#undef JIT_MESSAGE_LIST
#undef JIT_FIELD_LIST
#undef JIT_BIND
}  // namespace layout

template <MsgType T, typename S>
FieldList<S> message_fields() {
#define JIT_MESSAGE_PICK(name, number, type, fields) \
    if constexpr (T == MsgType::name)                \
        return layout::message_##name<S>();          \
    else
    JIT_MESSAGES(JIT_MESSAGE_PICK)
#undef JIT_MESSAGE_PICK
    static_assert(T != T, "not a message type");
}

template <FieldTag Tag, typename S>
FieldList<S> record_fields() {
#define JIT_RECORD_PICK(tag, fields)      \
    if constexpr (Tag == FieldTag::tag)   \
        return layout::record_##tag<S>(); \
    else
    JIT_RECORDS(JIT_RECORD_PICK)
#undef JIT_RECORD_PICK
    static_assert(Tag != Tag, "not a record tag");
}

template <typename S>
void put_fields(wire::FrameWriter& w, FieldList<S> list, const S& s) {
    for (size_t i = 0; i < list.count; ++i) list.fields[i].put(w, list.fields[i], s);
}

// body has been validated: every tag in it is one of the list's.
template <typename S>
void get_fields(S& s, FieldList<S> list, const uint8_t* body, size_t len) {
    wire::FieldIterator it(body, len);
    wire::FieldView f;
    while (it.next(&f)) {
        for (size_t i = 0; i < list.count; ++i) {
            if (list.fields[i].tag == f.tag) {
                list.fields[i].get(s, f);
                break;
            }
        }
    }
}

// Writes m into buf as a frame of type T, and checks it against T's schema
// and rules (EINVAL); EMSGSIZE when buf is too small.  Returns the length.
template <MsgType T, typename S>
Result<size_t> encode_into(const S& m, uint8_t* buf, size_t cap, uint32_t request_id) {
    wire::FrameWriter w(buf, cap, T, request_id);
    put_fields(w, message_fields<T, S>(), m);
    return w.finish_valid();
}

// Reads a frame that decode_frame accepted into *out, if it is of type T.
// Strings in a view struct point into the frame's buffer.
template <MsgType T, typename S>
bool decode_into(const wire::MessageView& v, S* out) {
    if (v.header.type != T) return false;
    get_fields(*out, message_fields<T, S>(), v.body, v.body_len);
    return true;
}

}  // namespace jit::codec
