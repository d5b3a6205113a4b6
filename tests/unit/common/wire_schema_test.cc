// The decoder against the message schemas and cross-field rules of
// protocol.h, and its UTF-8 gate: each rule broken on its own, next to the
// valid frame it was broken from.
#include <errno.h>
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "jit/escape.h"
#include "jit/wire.h"
#include "tests/unit/common/raw_frame.h"
#include "tests/unit/common/wire_expect.h"

namespace jit::test {
namespace {

using proto::FieldTag;
using proto::MsgType;

RawFrame check_request() {
    RawFrame r(MsgType::CheckRequest);
    r.str(FieldTag::User, "deploy").str(FieldTag::Service, "sshd");
    return r;
}

Bytes check_request_with_user(const Bytes& user) {
    return RawFrame(MsgType::CheckRequest)
        .field(uint16_t(FieldTag::User), 3, user)
        .str(FieldTag::Service, "sshd")
        .frame();
}

// ---- schema ----

TEST(WireReject, FieldNotAllowedInMessage) {
    expect_mutation_rejected(
        check_request(), [](RawFrame& r) { r.u64(FieldTag::Decision, 2); }, EPROTO, "not allowed");
    expect_mutation_rejected(
        RawFrame(MsgType::StatusRequest), [](RawFrame& r) { r.str(FieldTag::User, "x"); }, EPROTO,
        "not allowed");
    // A tag valid inside a grant record is not valid at the top level.
    expect_mutation_rejected(
        RawFrame(MsgType::ListReply).i64(FieldTag::Now, 1),
        [](RawFrame& r) { r.u64(FieldTag::State, 1); }, EPROTO, "not allowed");
    // ...and a top-level tag is not valid inside a record.
    expect_mutation_rejected(
        RawFrame(MsgType::GrantReply).record(FieldTag::Grant, grant_record_body()),
        [](RawFrame& r) {
            r = RawFrame(MsgType::GrantReply)
                    .record(FieldTag::Grant, grant_record_body().i64(FieldTag::Now, 1));
        },
        EPROTO, "not allowed");
}

TEST(WireReject, RepeatedNonRepeatedField) {
    expect_mutation_rejected(
        check_request(), [](RawFrame& r) { r.str(FieldTag::User, "root"); }, EPROTO, "repeated");
    expect_mutation_rejected(
        RawFrame(MsgType::GrantReply).record(FieldTag::Grant, grant_record_body()),
        [](RawFrame& r) { r.record(FieldTag::Grant, grant_record_body()); }, EPROTO, "repeated");
    expect_mutation_rejected(
        RawFrame(MsgType::GrantReply).record(FieldTag::Grant, grant_record_body()),
        [](RawFrame& r) {
            r = RawFrame(MsgType::GrantReply)
                    .record(FieldTag::Grant, grant_record_body().u64(FieldTag::State, 1));
        },
        EPROTO, "repeated");
}

TEST(WireReject, RepeatedFieldBeyondItsLimit) {
    RawFrame grant(MsgType::GrantRequest);
    grant.str(FieldTag::User, "deploy").str(FieldTag::Reason, "r").u64(FieldTag::Duration, 60);
    for (uint32_t i = 0; i < proto::kMaxServices; ++i) grant.str(FieldTag::Service, "sshd");
    expect_mutation_rejected(
        grant, [](RawFrame& r) { r.str(FieldTag::Service, "sudo"); }, EPROTO, "repeated");

    RawFrame status(MsgType::StatusReply);
    status.str(FieldTag::Version, "1")
        .u64(FieldTag::Pid, 1)
        .u64(FieldTag::Uptime, 1)
        .i64(FieldTag::Now, 1)
        .u64(FieldTag::ActiveGrants, 0)
        .str(FieldTag::StateDir, "/s")
        .u64(FieldTag::SchemaVersion, 1);
    for (uint32_t i = 0; i < proto::kMaxRecords; ++i) status.str(FieldTag::ManagedUsers, "");
    expect_mutation_rejected(
        status, [](RawFrame& r) { r.str(FieldTag::ManagedUsers, ""); }, EPROTO, "repeated");
}

TEST(WireReject, RequiredFieldMissing) {
    expect_rejected(RawFrame(MsgType::CheckRequest).str(FieldTag::User, "deploy").frame(), EPROTO,
                    "required field missing");
    expect_rejected(RawFrame(MsgType::CheckRequest).str(FieldTag::Service, "sshd").frame(), EPROTO,
                    "required field missing");
    expect_rejected(RawFrame(MsgType::GrantReply).frame(), EPROTO, "required field missing");
    expect_rejected(RawFrame(MsgType::ListReply).frame(), EPROTO, "required field missing");
    expect_rejected(RawFrame(MsgType::ErrorReply).str(FieldTag::Message, "m").frame(), EPROTO,
                    "required field missing");
    // Inside a record: a grant without its state.
    RawFrame no_state(MsgType::GrantReply);
    no_state.str(FieldTag::GrantId, "g-7kq2m9ab")
        .str(FieldTag::User, "deploy")
        .str(FieldTag::Service, "sshd")
        .i64(FieldTag::NotBefore, 1)
        .i64(FieldTag::NotAfter, 2)
        .str(FieldTag::Reason, "r")
        .u64(FieldTag::GrantedBy, 0)
        .i64(FieldTag::Created, 1);
    expect_rejected(RawFrame(MsgType::GrantReply).record(FieldTag::Grant, no_state).frame(), EPROTO,
                    "required field missing");
    expect_accepted(RawFrame(MsgType::GrantReply)
                        .record(FieldTag::Grant, no_state.u64(FieldTag::State, 1))
                        .frame());
}

// Grant is the only record tag and no record schema admits it, so the schema
// refuses the inner record before the depth rule is consulted: only the errno
// is pinned here, not which of the two rules spoke first.
TEST(WireReject, NestedRecordInsideRecord) {
    RawFrame outer = grant_record_body();
    outer.record(FieldTag::Grant, grant_record_body("g-bbbbbbbb"));
    Bytes frame = RawFrame(MsgType::GrantReply).record(FieldTag::Grant, outer).frame();
    auto decoded = wire::decode_frame(frame.data(), frame.size());
    ASSERT_FALSE(decoded.ok()) << "a record nested in a record was accepted";
    EXPECT_EQ(decoded.error().code, EPROTO) << decoded.error().what;
}

TEST(WireReject, RecordWhereNotAllowed) {
    expect_mutation_rejected(
        RawFrame(MsgType::CheckReply).u64(FieldTag::Decision, 1).str(FieldTag::Reason, "no"),
        [](RawFrame& r) { r.record(FieldTag::Grant, grant_record_body()); }, EPROTO, "not allowed");
    expect_mutation_rejected(
        RawFrame(MsgType::ListRequest),
        [](RawFrame& r) { r.record(FieldTag::Grant, grant_record_body()); }, EPROTO, "not allowed");
}

TEST(WireReject, MalformedFieldInsideRecord) {
    RawFrame bad = grant_record_body();
    bad.append(Bytes{1, 0, 3});  // a field header cut short inside the record
    expect_rejected(RawFrame(MsgType::GrantReply).record(FieldTag::Grant, bad).frame(), EPROTO,
                    "truncated field header");
    RawFrame bad_text = grant_record_body();
    bad_text.field(uint16_t(FieldTag::Source), 3, Bytes{0xc0, 0xaf});
    expect_rejected(RawFrame(MsgType::GrantReply).record(FieldTag::Grant, bad_text).frame(), EPROTO,
                    "UTF-8");
}

// ---- cross-field rules ----

RawFrame check_reply(uint64_t decision) {
    RawFrame r(MsgType::CheckReply);
    r.u64(FieldTag::Decision, decision).str(FieldTag::Reason, "because");
    return r;
}

TEST(WireReject, CheckReplyDecisionZeroThreeOrUnknown) {
    expect_accepted(check_reply(1).frame());
    for (uint64_t d : {uint64_t(0), uint64_t(3), uint64_t(0x100000002), UINT64_MAX}) {
        SCOPED_TRACE(d);
        expect_rejected(check_reply(d)
                            .str(FieldTag::GrantId, "g-7kq2m9ab")
                            .i64(FieldTag::NotAfter, 1764441000)
                            .frame(),
                        EPROTO, "unknown decision");
    }
}

TEST(WireReject, AllowWithoutGrantIdOrNotAfter) {
    expect_accepted(check_reply(2)
                        .str(FieldTag::GrantId, "g-7kq2m9ab")
                        .i64(FieldTag::NotAfter, 1764441000)
                        .frame());
    expect_rejected(check_reply(2).i64(FieldTag::NotAfter, 1764441000).frame(), EPROTO,
                    "allow without");
    expect_rejected(check_reply(2).str(FieldTag::GrantId, "g-7kq2m9ab").frame(), EPROTO,
                    "allow without");
    expect_rejected(check_reply(2).frame(), EPROTO, "allow without");
}

// An empty grant id names no grant: an allow carrying one is not an allow.
TEST(WireReject, AllowWithAnEmptyGrantId) {
    expect_rejected(
        check_reply(2).str(FieldTag::GrantId, "").i64(FieldTag::NotAfter, 1764441000).frame(),
        EPROTO, "allow without");
    expect_accepted(check_reply(1).str(FieldTag::GrantId, "").frame());  // a deny may say nothing
}

RawFrame grant_request() {
    RawFrame r(MsgType::GrantRequest);
    r.str(FieldTag::User, "deploy").str(FieldTag::Service, "sshd").str(FieldTag::Reason, "r");
    return r;
}

TEST(WireReject, GrantRequestWithBothDurationForms) {
    expect_mutation_rejected(
        grant_request().u64(FieldTag::Duration, 900),
        [](RawFrame& r) { r.i64(FieldTag::NotBefore, 1).i64(FieldTag::NotAfter, 2); }, EPROTO,
        "duration or both bounds");
    expect_mutation_rejected(
        grant_request().u64(FieldTag::Duration, 900),
        [](RawFrame& r) { r.i64(FieldTag::NotAfter, 2); }, EPROTO, "duration or both bounds");
    expect_mutation_rejected(
        grant_request().u64(FieldTag::Duration, 900),
        [](RawFrame& r) { r.i64(FieldTag::NotBefore, 1); }, EPROTO, "duration or both bounds");
}

TEST(WireReject, GrantRequestWithNeitherDurationForm) {
    expect_accepted(grant_request().i64(FieldTag::NotBefore, 1).i64(FieldTag::NotAfter, 2).frame());
    expect_rejected(grant_request().frame(), EPROTO, "duration or both bounds");
    expect_rejected(grant_request().i64(FieldTag::NotBefore, 1).frame(), EPROTO,
                    "duration or both bounds");
    expect_rejected(grant_request().i64(FieldTag::NotAfter, 2).frame(), EPROTO,
                    "duration or both bounds");
}

TEST(WireReject, RevokeRequestWithBothIdAndUser) {
    expect_mutation_rejected(
        RawFrame(MsgType::RevokeRequest).str(FieldTag::GrantId, "g-7kq2m9ab"),
        [](RawFrame& r) { r.str(FieldTag::User, "deploy"); }, EPROTO, "grant id or a user");
}

TEST(WireReject, RevokeRequestWithNeitherIdNorUser) {
    expect_accepted(RawFrame(MsgType::RevokeRequest).str(FieldTag::User, "deploy").frame());
    expect_rejected(RawFrame(MsgType::RevokeRequest).frame(), EPROTO, "grant id or a user");
    expect_rejected(RawFrame(MsgType::RevokeRequest).str(FieldTag::Reason, "r").frame(), EPROTO,
                    "grant id or a user");
}

TEST(WireReject, RevokeRequestWithOnlyAnEmptyIdOrUser) {
    expect_rejected(RawFrame(MsgType::RevokeRequest).str(FieldTag::GrantId, "").frame(), EPROTO,
                    "grant id or a user");
    expect_rejected(RawFrame(MsgType::RevokeRequest).str(FieldTag::User, "").frame(), EPROTO,
                    "grant id or a user");
    expect_rejected(
        RawFrame(MsgType::RevokeRequest).str(FieldTag::GrantId, "").str(FieldTag::User, "").frame(),
        EPROTO, "grant id or a user");
}

// ---- UTF-8 ----

TEST(WireUtf8, AcceptsWellFormedTextAtEveryLength) {
    for (const Bytes& s :
         {Bytes{'a'}, Bytes{0xc3, 0xa9} /* é */, Bytes{0xe2, 0x82, 0xac} /* € */,
          Bytes{0xf0, 0x90, 0x8d, 0x88} /* U+10348 */, Bytes{0xed, 0x9f, 0xbf} /* U+D7FF */,
          Bytes{0xee, 0x80, 0x80} /* U+E000 */, Bytes{0xf4, 0x8f, 0xbf, 0xbf} /* U+10FFFF */,
          Bytes{}}) {
        expect_accepted(check_request_with_user(s));
    }
}

TEST(WireReject, Utf8Overlong) {
    for (const Bytes& s :
         {Bytes{0xc0, 0xaf}, Bytes{0xc1, 0xbf}, Bytes{0xe0, 0x80, 0xaf}, Bytes{0xe0, 0x9f, 0xbf},
          Bytes{0xf0, 0x80, 0x80, 0xaf}, Bytes{0xf0, 0x8f, 0xbf, 0xbf},
          Bytes{0xc0, 0x80} /* NUL in disguise */}) {
        expect_rejected(check_request_with_user(s), EPROTO, "UTF-8");
    }
}

TEST(WireReject, Utf8Surrogate) {
    for (const Bytes& s : {Bytes{0xed, 0xa0, 0x80}, Bytes{0xed, 0xbf, 0xbf},
                           Bytes{0xed, 0xa0, 0xbd, 0xed, 0xb2, 0xa9} /* CESU-8 pair */}) {
        expect_rejected(check_request_with_user(s), EPROTO, "UTF-8");
    }
}

TEST(WireReject, Utf8AboveMaxCodePoint) {
    for (const Bytes& s : {Bytes{0xf4, 0x90, 0x80, 0x80}, Bytes{0xf7, 0xbf, 0xbf, 0xbf},
                           Bytes{0xf8, 0x88, 0x80, 0x80, 0x80},
                           Bytes{0xfc, 0x84, 0x80, 0x80, 0x80, 0x80}, Bytes{0xfe}, Bytes{0xff}}) {
        expect_rejected(check_request_with_user(s), EPROTO, "UTF-8");
    }
}

TEST(WireReject, Utf8TruncatedSequence) {
    for (const Bytes& s :
         {Bytes{0xc3}, Bytes{0xe2, 0x82}, Bytes{0xf0, 0x90, 0x8d}, Bytes{0xe2, 0x82, 'a'},
          Bytes{'a', 0xc3}, Bytes{0x80} /* lone continuation */, Bytes{0xc3, 0xc3, 0xa9}}) {
        expect_rejected(check_request_with_user(s), EPROTO, "UTF-8");
    }
}

// The bytes after a string must never complete a sequence the string began:
// here the next field's header starts with continuation bytes.
TEST(WireReject, Utf8SequenceIsNotCompletedByTheNextField) {
    Bytes frame = RawFrame(MsgType::CheckRequest)
                      .field(uint16_t(FieldTag::User), 3, Bytes{'a', 0xe2, 0x82})
                      .append(Bytes{0xac, 0x80, 3, 0, 0, 0, 0, 0})
                      .frame();
    expect_rejected(frame, EPROTO, "UTF-8");
}

TEST(WireUtf8, ValidTextAgreesWithTheDecoder) {
    EXPECT_TRUE(wire::valid_text("deploy", 6));
    EXPECT_TRUE(wire::valid_text("", 0));
    EXPECT_FALSE(wire::valid_text("a\0b", 3));
    EXPECT_FALSE(wire::valid_text("\xed\xa0\x80", 3));
    EXPECT_FALSE(wire::valid_text("\xf4\x90\x80\x80", 4));
    // The length bounds the scan: a valid prefix of an invalid buffer is valid.
    EXPECT_TRUE(wire::valid_text("ab\xc3", 2));
    // ...and a sequence cut by the length is invalid even if the buffer goes on.
    EXPECT_FALSE(wire::valid_text("\xe2\x82\xac", 2));
    EXPECT_FALSE(wire::valid_text("\xf0\x90\x8d\x88", 3));
    EXPECT_FALSE(wire::valid_text("\xc3\xa9", 1));
}

// valid_text takes ASCII eight bytes at a time: a NUL, a non-ASCII
// character or a broken sequence at any offset of a long string, and at
// every offset of a word, is still seen.
TEST(WireUtf8, EveryOffsetOfALongStringIsChecked) {
    const std::string plain(40, 'a');
    EXPECT_TRUE(wire::valid_text(plain.data(), plain.size()));
    for (size_t at = 0; at < plain.size(); ++at) {
        SCOPED_TRACE(at);
        std::string s = plain;
        s[at] = '\0';
        EXPECT_FALSE(wire::valid_text(s.data(), s.size()));
        s = plain;
        s[at] = char(0x80);  // a continuation byte with nothing to continue
        EXPECT_FALSE(wire::valid_text(s.data(), s.size()));
        s = plain;
        s[at] = char(0xff);
        EXPECT_FALSE(wire::valid_text(s.data(), s.size()));
        s = plain.substr(0, at) + "\xc3\xa9" + plain.substr(at);  // é
        EXPECT_TRUE(wire::valid_text(s.data(), s.size()));
        s = plain.substr(0, at) + "\xe2\x82\xac" + plain.substr(at);  // €
        EXPECT_TRUE(wire::valid_text(s.data(), s.size()));
        s = plain.substr(0, at) + "\xed\xa0\x80" + plain.substr(at);  // a surrogate
        EXPECT_FALSE(wire::valid_text(s.data(), s.size()));
        // The length still bounds the scan when it ends inside a word.
        s = plain;
        s[at] = '\0';
        EXPECT_TRUE(wire::valid_text(s.data(), at));
    }
}

// Against the escaper's own UTF-8 reader, on random text that is mostly
// ASCII with NULs and multi-byte sequences (whole, cut and broken) mixed in.
TEST(WireUtf8, AgreesWithTheEscapersUtf8ReaderOnRandomText) {
    const std::vector<std::string> pieces = {"a",
                                             "b",
                                             "0",
                                             " ",
                                             std::string(1, '\0'),
                                             "\xc3\xa9",
                                             "\xe2\x82\xac",
                                             "\xf0\x9f\x98\x80",
                                             "\xc3",
                                             "\xe2\x82",
                                             "\x80",
                                             "\xed\xa0\x80",
                                             "\xf4\x90\x80\x80",
                                             "\xc0\xaf",
                                             "\xff"};
    std::mt19937 random(20261207);
    for (int round = 0; round < 20000; ++round) {
        std::string s;
        const size_t n = random() % 24;
        for (size_t i = 0; i < n; ++i)
            s += random() % 4 ? pieces[random() % 4] : pieces[random() % pieces.size()];
        bool expected = true;
        const auto* p = reinterpret_cast<const unsigned char*>(s.data());
        for (size_t at = 0; at < s.size() && expected;) {
            const size_t step = p[at] == 0 ? 0 : utf8_sequence(p + at, s.size() - at);
            expected = step != 0;
            at += step;
        }
        ASSERT_EQ(wire::valid_text(s.data(), s.size()), expected) << testing::PrintToString(s);
    }
}

}  // namespace
}  // namespace jit::test
