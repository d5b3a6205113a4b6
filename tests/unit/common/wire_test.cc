// The codec against protocol.h: every message type written with FrameWriter
// is byte-identical to an independently built frame and decodes back to the
// same fields; every malformed frame class is refused with its own errno.
// Schema and cross-field rules: wire_schema_test.cc; the writer's refusals:
// wire_writer_test.cc.
#include <errno.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "jit/wire.h"
#include "tests/unit/common/raw_frame.h"
#include "tests/unit/common/wire_expect.h"

namespace jit::test {
namespace {

using proto::FieldKind;
using proto::FieldTag;
using proto::MsgType;

// One field of a sample message, written through both builders.
struct Op {
    FieldTag tag;
    FieldKind kind;
    std::string s;
    uint64_t u = 0;  // u64, i64 (as bits) and bool
    std::vector<Op> record;
};
Op S(FieldTag t, std::string v) {
    return {t, FieldKind::String, std::move(v), 0, {}};
}
Op U(FieldTag t, uint64_t v) {
    return {t, FieldKind::U64, "", v, {}};
}
Op I(FieldTag t, int64_t v) {
    return {t, FieldKind::I64, "", uint64_t(v), {}};
}
Op B(FieldTag t, bool v) {
    return {t, FieldKind::Bool, "", v ? 1u : 0u, {}};
}
Op R(std::vector<Op> fields) {
    return {FieldTag::Grant, FieldKind::Record, "", 0, std::move(fields)};
}

std::vector<Op> grant_ops(std::string id, bool ended) {
    std::vector<Op> ops = {S(FieldTag::GrantId, id),          S(FieldTag::User, "deploy"),
                           S(FieldTag::Service, "sshd"),      S(FieldTag::Service, "sudo"),
                           S(FieldTag::Source, "10.0.0.0/8"), I(FieldTag::NotBefore, 1764440100),
                           I(FieldTag::NotAfter, 1764441000), S(FieldTag::Reason, "release 4.2"),
                           U(FieldTag::GrantedBy, 0),         I(FieldTag::Created, 1764440000),
                           U(FieldTag::State, ended ? 3 : 1)};
    if (ended) {
        ops.push_back(I(FieldTag::EndedAt, 1764440500));
        ops.push_back(U(FieldTag::EndedBy, 1000));
    }
    return ops;
}

struct Sample {
    const char* name;
    MsgType type;
    std::vector<Op> ops;
};

std::vector<Sample> samples() {
    using T = FieldTag;
    return {
        {"CheckRequest",
         MsgType::CheckRequest,
         {S(T::User, "deploy"), S(T::Service, "sshd"), S(T::Rhost, "192.0.2.7"), S(T::Tty, "ssh"),
          S(T::Ruser, "jürgen")}},
        {"CheckReplyAllow",
         MsgType::CheckReply,
         {U(T::Decision, 2), S(T::Reason, "grant in force"), S(T::GrantId, "g-7kq2m9ab"),
          I(T::NotAfter, 1764441000), S(T::Rule, "g-7kq2m9ab")}},
        {"CheckReplyDeny", MsgType::CheckReply, {U(T::Decision, 1), S(T::Reason, "no grant")}},
        {"GrantRequestDuration",
         MsgType::GrantRequest,
         {S(T::User, "deploy"), S(T::Service, "sshd"), S(T::Reason, "release"),
          S(T::Source, "2001:db8::/32"), U(T::Duration, 900)}},
        {"GrantRequestBounds",
         MsgType::GrantRequest,
         {S(T::User, "backup"), S(T::Service, "sudo"), S(T::Service, "su"), S(T::Reason, "nightly"),
          I(T::NotBefore, -5), I(T::NotAfter, INT64_MAX)}},
        {"GrantReply", MsgType::GrantReply, {R(grant_ops("g-aaaaaaaa", false))}},
        {"RevokeRequestById",
         MsgType::RevokeRequest,
         {S(T::GrantId, "g-aaaaaaaa"), S(T::Reason, "done")}},
        {"RevokeRequestByUser", MsgType::RevokeRequest, {S(T::User, "deploy")}},
        {"RevokeReplyNone", MsgType::RevokeReply, {}},
        {"RevokeReplyTwo",
         MsgType::RevokeReply,
         {R(grant_ops("g-aaaaaaaa", true)), R(grant_ops("g-bbbbbbbb", true))}},
        {"ListRequestEmpty", MsgType::ListRequest, {}},
        {"ListRequestFull", MsgType::ListRequest, {S(T::User, "deploy"), B(T::IncludeEnded, true)}},
        {"ListReply",
         MsgType::ListReply,
         {I(T::Now, 1764440600), R(grant_ops("g-aaaaaaaa", false)),
          R(grant_ops("g-cccccccc", true))}},
        {"StatusRequest", MsgType::StatusRequest, {}},
        {"StatusReply",
         MsgType::StatusReply,
         {S(T::Version, "0.1.0"), U(T::Pid, 4242), U(T::Uptime, 77), I(T::Now, 1764440600),
          U(T::ActiveGrants, 3), S(T::StateDir, "/var/lib/jit"), U(T::SchemaVersion, 1),
          S(T::ManagedUsers, "deploy"), S(T::ManagedUsers, "backup"),
          S(T::ManagedGroups, "jit-managed"), S(T::ManagedUids, "60000-60999")}},
        {"ErrorReply",
         MsgType::ErrorReply,
         {U(T::ErrorCode, EPERM), S(T::Message, "not an administrator")}},
    };
}

void write_ops(wire::FrameWriter& w, const std::vector<Op>& ops) {
    for (const auto& op : ops) {
        switch (op.kind) {
            case FieldKind::String:
                w.add_string(op.tag, op.s);
                break;
            case FieldKind::U64:
                w.add_u64(op.tag, op.u);
                break;
            case FieldKind::I64:
                w.add_i64(op.tag, int64_t(op.u));
                break;
            case FieldKind::Bool:
                w.add_bool(op.tag, op.u != 0);
                break;
            case FieldKind::Record:
                w.begin_record(op.tag);
                write_ops(w, op.record);
                w.end_record();
                break;
        }
    }
}

RawFrame raw_ops(MsgType type, const std::vector<Op>& ops) {
    RawFrame r(type, 0xdeadbeef);
    for (const auto& op : ops) {
        switch (op.kind) {
            case FieldKind::String:
                r.str(op.tag, op.s);
                break;
            case FieldKind::U64:
                r.u64(op.tag, op.u);
                break;
            case FieldKind::I64:
                r.i64(op.tag, int64_t(op.u));
                break;
            case FieldKind::Bool:
                r.boolean(op.tag, uint8_t(op.u));
                break;
            case FieldKind::Record:
                r.record(op.tag, raw_ops(type, op.record));
                break;
        }
    }
    return r;
}

// Walks decoded fields against the ops they were written from.
void expect_fields(const uint8_t* body, size_t len, const std::vector<Op>& ops) {
    wire::FieldIterator it(body, len);
    wire::FieldView f;
    size_t i = 0;
    for (; it.next(&f); ++i) {
        ASSERT_LT(i, ops.size()) << "more fields decoded than written";
        const Op& op = ops[i];
        EXPECT_EQ(f.tag, op.tag) << "field " << i;
        ASSERT_EQ(f.kind, op.kind) << "field " << i;
        switch (op.kind) {
            case FieldKind::String:
                EXPECT_EQ(f.str(), op.s);
                break;
            case FieldKind::U64:
                EXPECT_EQ(f.u64(), op.u);
                break;
            case FieldKind::I64:
                EXPECT_EQ(f.i64(), int64_t(op.u));
                break;
            case FieldKind::Bool:
                EXPECT_EQ(f.boolean(), op.u != 0);
                break;
            case FieldKind::Record:
                expect_fields(f.data, f.len, op.record);
                break;
        }
    }
    EXPECT_EQ(i, ops.size()) << "fewer fields decoded than written";
}

class WireRoundTrip : public ::testing::TestWithParam<Sample> {};

TEST_P(WireRoundTrip, WriterMatchesIndependentBytesAndDecodesBack) {
    const Sample& s = GetParam();
    std::vector<uint8_t> buf(proto::kMaxFrame);
    wire::FrameWriter w(buf.data(), buf.size(), s.type, 0xdeadbeef);
    write_ops(w, s.ops);
    auto len = w.finish();
    ASSERT_TRUE(len.ok()) << len.error().what;
    buf.resize(*len);
    EXPECT_EQ(buf, raw_ops(s.type, s.ops).frame()) << "FrameWriter layout differs from protocol.h";

    auto m = wire::decode_frame(buf.data(), buf.size());
    ASSERT_TRUE(m.ok()) << m.error().what;
    EXPECT_EQ(m->header.type, s.type);
    EXPECT_EQ(m->header.request_id, 0xdeadbeefu);
    EXPECT_EQ(m->body_len, buf.size() - proto::kHeaderSize);
    expect_fields(m->body, m->body_len, s.ops);
}

INSTANTIATE_TEST_SUITE_P(EveryMessageType, WireRoundTrip, ::testing::ValuesIn(samples()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(WireRoundTripCoverage, SamplesCoverEveryMessageType) {
    const MsgType all[] = {MsgType::CheckRequest, MsgType::CheckReply,    MsgType::GrantRequest,
                           MsgType::GrantReply,   MsgType::RevokeRequest, MsgType::RevokeReply,
                           MsgType::ListRequest,  MsgType::ListReply,     MsgType::StatusRequest,
                           MsgType::StatusReply,  MsgType::ErrorReply};
    auto all_samples = samples();
    for (MsgType t : all) {
        bool found = false;
        for (const auto& s : all_samples) found = found || s.type == t;
        EXPECT_TRUE(found) << "no round-trip sample for message type " << int(t);
    }
}

TEST(WireHeader, ReadsEveryHeaderFieldLittleEndian) {
    RawFrame r(MsgType::ListRequest, 0x04030201);
    auto f = r.frame();
    EXPECT_EQ(Bytes(f.begin(), f.begin() + 4), (Bytes{'J', 'I', 'T', '1'}));
    auto h = wire::parse_header(f.data(), proto::kHeaderSize);
    ASSERT_TRUE(h.ok()) << h.error().what;
    EXPECT_EQ(h->type, MsgType::ListRequest);
    EXPECT_EQ(h->request_id, 0x04030201u);
    EXPECT_EQ(h->body_len, 0u);
}

// ---- malformed frames: framing and header ----

RawFrame check_request() {
    RawFrame r(MsgType::CheckRequest);
    r.str(FieldTag::User, "deploy").str(FieldTag::Service, "sshd");
    return r;
}

TEST(WireReject, BadMagic) {
    expect_mutation_rejected(
        check_request(), [](RawFrame& r) { r.magic = 0x3254494a; }, EPROTO, "magic");
    expect_mutation_rejected(
        check_request(), [](RawFrame& r) { r.magic = 0x4a495431; }, EPROTO,
        "magic");  // "JIT1" read big-endian
}

TEST(WireReject, BadVersion) {
    expect_mutation_rejected(
        check_request(), [](RawFrame& r) { r.version = 2; }, EPROTO, "version");
    expect_mutation_rejected(
        check_request(), [](RawFrame& r) { r.version = 0; }, EPROTO, "version");
    expect_mutation_rejected(
        check_request(), [](RawFrame& r) { r.version = 0x0100; }, EPROTO, "version");
}

TEST(WireReject, UnknownMessageType) {
    for (uint16_t t : {0, 11, 126, 128, 0xffff}) {
        SCOPED_TRACE(t);
        RawFrame r(MsgType::StatusRequest);
        r.type = t;
        expect_rejected(r.frame(), EPROTO, "unknown message type");
    }
}

TEST(WireReject, BodyLenOverMaxRejectedFromHeaderAlone) {
    for (uint32_t len : {proto::kMaxBody + 1, 0x7fffffffu, 0xffffffffu}) {
        SCOPED_TRACE(len);
        RawFrame r(MsgType::StatusRequest);
        r.body_len = len;
        Bytes header = r.frame();  // 16 bytes: no body follows, nothing to read
        auto h = wire::parse_header(header.data(), header.size());
        ASSERT_FALSE(h.ok());
        EXPECT_EQ(h.error().code, EMSGSIZE);
        // decode_frame must judge the header before comparing lengths.
        expect_rejected(header, EMSGSIZE, "exceeds");
    }
    RawFrame at_limit(MsgType::StatusRequest);
    at_limit.body_len = proto::kMaxBody;
    Bytes header = at_limit.frame();
    EXPECT_TRUE(wire::parse_header(header.data(), header.size()).ok())
        << "a body of exactly kMaxBody is allowed";
}

TEST(WireReject, HeaderShorterThanSixteenBytes) {
    Bytes f = check_request().frame();
    for (size_t n : {0, 1, 15}) {
        auto r = wire::decode_frame(f.data(), n);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().code, EPROTO);
        EXPECT_FALSE(wire::parse_header(f.data(), n).ok());
    }
}

TEST(WireReject, BodyShorterThanBodyLen) {
    expect_mutation_rejected(
        check_request(), [](RawFrame& r) { r.body_len = 27; }, EPROTO, "length mismatch");
    // And the same frame cut short in transit.
    Bytes f = check_request().frame();
    auto r = wire::decode_frame(f.data(), f.size() - 1);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, EPROTO);
}

TEST(WireReject, BodyLongerThanBodyLen) {
    expect_mutation_rejected(
        check_request(), [](RawFrame& r) { r.body_len = 25; }, EPROTO, "length mismatch");
    expect_mutation_rejected(
        check_request(), [](RawFrame& r) { r.body_len = 0; }, EPROTO, "length mismatch");
}

// ---- malformed frames: field headers ----

TEST(WireReject, TruncatedFieldHeader) {
    for (size_t extra = 1; extra < proto::kFieldHeaderSize; ++extra) {
        SCOPED_TRACE(extra);
        expect_mutation_rejected(
            check_request(), [&](RawFrame& r) { r.append(Bytes(extra, 0)); }, EPROTO,
            "truncated field header");
    }
}

// A CHECK_REQUEST whose Service field is written raw, so one header byte of
// that field can be wrong while everything else stays valid.
Bytes with_raw_service(uint8_t kind, const Bytes& value, uint8_t flags = 0,
                       std::optional<uint32_t> len = std::nullopt) {
    return RawFrame(MsgType::CheckRequest)
        .str(FieldTag::User, "deploy")
        .field(uint16_t(FieldTag::Service), kind, value, flags, len)
        .frame();
}

const Bytes kSshd{'s', 's', 'h', 'd'};

TEST(WireReject, FieldLenPastEnd) {
    for (uint32_t len : {5u, 0x100u, 0xffffffffu}) {
        SCOPED_TRACE(len);
        expect_fault_rejected(
            [&](bool broken) { return with_raw_service(3, kSshd, 0, broken ? len : 4); }, EPROTO,
            "exceeds frame");
    }
}

TEST(WireReject, ReservedFlagsSet) {
    for (uint8_t flags : {0x01, 0x80, 0xff}) {
        SCOPED_TRACE(int(flags));
        expect_fault_rejected(
            [&](bool broken) { return with_raw_service(3, kSshd, broken ? flags : 0); }, EPROTO,
            "reserved");
    }
}

TEST(WireReject, UnknownTag) {
    for (uint16_t tag : {0, 33, 1000, 0xffff}) {
        SCOPED_TRACE(tag);
        expect_mutation_rejected(
            check_request(), [&](RawFrame& r) { r.field(tag, 3, Bytes{'x'}); }, EPROTO,
            "unknown field tag");
    }
}

TEST(WireReject, KindNotMatchingTag) {
    // A string tag carrying an integer or a record, and kind values that are
    // not kinds at all.
    for (uint8_t kind : {0, 1, 2, 4, 5, 6, 0xff}) {
        SCOPED_TRACE(int(kind));
        expect_fault_rejected(
            [&](bool broken) { return with_raw_service(broken ? kind : 3, kSshd); }, EPROTO,
            "kind does not match");
    }
    // An integer tag carrying a string.
    expect_fault_rejected(
        [](bool broken) {
            RawFrame r(MsgType::GrantRequest);
            r.str(FieldTag::User, "deploy")
                .str(FieldTag::Service, "sshd")
                .str(FieldTag::Reason, "r");
            if (broken) return r.field(uint16_t(FieldTag::Duration), 3, Bytes(8, '9')).frame();
            return r.u64(FieldTag::Duration, 0x3939393939393939).frame();
        },
        EPROTO, "kind does not match");
}

TEST(WireReject, IntegerNotEightBytes) {
    expect_accepted(RawFrame(MsgType::CheckReply)
                        .u64(FieldTag::Decision, 1)
                        .str(FieldTag::Reason, "no")
                        .frame());
    expect_accepted(RawFrame(MsgType::ListReply).i64(FieldTag::Now, 1).frame());
    for (size_t n : {0, 1, 4, 7, 9, 16}) {
        SCOPED_TRACE(n);
        expect_rejected(RawFrame(MsgType::CheckReply)
                            .field(uint16_t(FieldTag::Decision), 1, Bytes(n, 1))
                            .str(FieldTag::Reason, "no")
                            .frame(),
                        EPROTO, "not 8 bytes");
        expect_rejected(
            RawFrame(MsgType::ListReply).field(uint16_t(FieldTag::Now), 2, Bytes(n, 1)).frame(),
            EPROTO, "not 8 bytes");
    }
}

TEST(WireReject, BoolNotZeroOrOne) {
    for (const Bytes& v : {Bytes{2}, Bytes{0xff}, Bytes{}, Bytes{0, 0}, Bytes{1, 0}}) {
        expect_mutation_rejected(
            RawFrame(MsgType::ListRequest),
            [&](RawFrame& r) { r.field(uint16_t(FieldTag::IncludeEnded), 4, v); }, EPROTO,
            "malformed boolean");
    }
    expect_accepted(RawFrame(MsgType::ListRequest).boolean(FieldTag::IncludeEnded, 0).frame());
    expect_accepted(RawFrame(MsgType::ListRequest).boolean(FieldTag::IncludeEnded, 1).frame());
}

TEST(WireReject, StringTooLong) {
    std::string max(proto::kMaxString, 'a');
    expect_accepted(RawFrame(MsgType::ErrorReply)
                        .u64(FieldTag::ErrorCode, EIO)
                        .str(FieldTag::Message, max)
                        .frame());
    expect_rejected(RawFrame(MsgType::ErrorReply)
                        .u64(FieldTag::ErrorCode, EIO)
                        .str(FieldTag::Message, max + "a")
                        .frame(),
                    EPROTO, "too long");
}

TEST(WireReject, StringWithNul) {
    using namespace std::string_literals;
    for (const std::string& s : {"dep\0loy"s, "\0"s, "deploy\0"s}) {
        expect_rejected(RawFrame(MsgType::CheckRequest)
                            .str(FieldTag::User, s)
                            .str(FieldTag::Service, "sshd")
                            .frame(),
                        EPROTO, "UTF-8");
    }
}

}  // namespace
}  // namespace jit::test
