// What the codec derives from the declarations in protocol.h: the largest
// frame of each type (which sizes the modules' fixed buffers), and the
// allocation-free view encoder/decoder the modules use, which must write the
// same bytes as the jit::msg encoder and read what it writes.
#include <errno.h>
#include <gtest/gtest.h>
#include <stdint.h>

#include <string>
#include <vector>

#include "jit/message_codec.h"
#include "jit/message_views.h"
#include "tests/unit/common/raw_frame.h"

namespace jit::test {
namespace {

using proto::FieldTag;
using proto::MsgType;

TEST(CodecSizes, MaxFrameIsTheLargestValidFrame) {
    // Every field present, every string at kMaxString: exactly the derived size.
    std::string s(proto::kMaxString, 'x');
    msg::CheckReply reply{proto::Decision::Allow, s, s, 1, s};
    auto frame = msg::encode(reply, 1);
    ASSERT_TRUE(frame.ok()) << frame.error().what;
    EXPECT_EQ(frame->size(), wire::max_frame_size(MsgType::CheckReply));

    msg::SessionOpenReply open{proto::Decision::Allow, s, s, s, 1};
    auto open_frame = msg::encode(open, 1);
    ASSERT_TRUE(open_frame.ok()) << open_frame.error().what;
    EXPECT_EQ(open_frame->size(), wire::max_frame_size(MsgType::SessionOpenReply));

    EXPECT_EQ(wire::max_frame_size(MsgType::StatusRequest), proto::kHeaderSize);
    EXPECT_EQ(wire::max_frame_size(MsgType::ListReply), proto::kMaxFrame) << "capped";
    EXPECT_EQ(wire::max_frame_size(MsgType(11)), 0u) << "no such type";
    EXPECT_GE(wire::max_reply_size(MsgType::SessionCloseReply),
              wire::max_frame_size(MsgType::ErrorReply));
}

TEST(CodecSchema, EveryTypeHasASchemaAndUnknownNumbersNone) {
#define JIT_EXPECT_SCHEMA(name, number, type, fields) \
    EXPECT_NE(wire::schema_for(MsgType::name), nullptr) << #name;
    JIT_MESSAGES(JIT_EXPECT_SCHEMA)
#undef JIT_EXPECT_SCHEMA
    for (uint16_t t : {0, 11, 19, 25, 36, 59, 126, 128})
        EXPECT_EQ(wire::schema_for(MsgType(t)), nullptr) << t;
    EXPECT_EQ(proto::kind_of(FieldTag(33)), proto::FieldKind(0));
    EXPECT_EQ(proto::kind_of(FieldTag::Grant), proto::FieldKind::Record);
}

TEST(CodecViews, ViewEncoderWritesTheSameBytesAsTheTypedOne) {
    view::CheckRequest v{"deploy", "sshd", "192.0.2.7", "", "jürgen"};
    uint8_t buf[wire::max_frame_size(MsgType::CheckRequest)];
    auto len = codec::encode_into<MsgType::CheckRequest>(v, buf, sizeof buf, 9);
    ASSERT_TRUE(len.ok()) << len.error().what;
    auto typed = msg::encode(msg::CheckRequest{"deploy", "sshd", "192.0.2.7", "", "jürgen"}, 9);
    ASSERT_TRUE(typed.ok());
    EXPECT_EQ(Bytes(buf, buf + *len), *typed);
}

TEST(CodecViews, ViewDecoderReadsWhatTheTypedEncoderWrote) {
    auto frame = msg::encode(
        msg::SessionOpenReply{proto::Decision::Allow, "ok", "s-aaaaaaaa", "g-bbbbbbbb", 77}, 3);
    ASSERT_TRUE(frame.ok());
    auto m = wire::decode_frame(frame->data(), frame->size());
    ASSERT_TRUE(m.ok()) << m.error().what;
    view::SessionOpenReply out;
    view::ErrorReply wrong;
    EXPECT_FALSE(codec::decode_into<MsgType::ErrorReply>(*m, &wrong)) << "type is checked";
    ASSERT_TRUE(codec::decode_into<MsgType::SessionOpenReply>(*m, &out));
    EXPECT_EQ(out.decision, proto::Decision::Allow);
    EXPECT_EQ(out.reason, "ok");
    EXPECT_EQ(out.session_id, "s-aaaaaaaa");
    EXPECT_EQ(out.grant_id, "g-bbbbbbbb");
    EXPECT_EQ(out.not_after, 77);
}

TEST(CodecViews, ViewEncoderRefusesWhatTheSchemaForbidsAndWhatDoesNotFit) {
    view::CheckReply allow_without_id{proto::Decision::Allow, "ok", "", 5, ""};
    uint8_t buf[wire::max_frame_size(MsgType::CheckReply)];
    auto bad = codec::encode_into<MsgType::CheckReply>(allow_without_id, buf, sizeof buf, 1);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, EINVAL);

    view::CheckRequest v{"deploy", "sshd", "", "", ""};
    uint8_t small[proto::kHeaderSize + 10];
    auto tight = codec::encode_into<MsgType::CheckRequest>(v, small, sizeof small, 1);
    ASSERT_FALSE(tight.ok());
    EXPECT_EQ(tight.error().code, EMSGSIZE);
}

TEST(CodecTyped, EncodeAsRefusesATypeThatDoesNotCarryTheStruct) {
    auto wrong = msg::encode_as(MsgType::CheckReply, msg::GrantList{}, 1);
    ASSERT_FALSE(wrong.ok());
    EXPECT_EQ(wrong.error().code, EINVAL);
    // ...and decode_as reads nothing from a frame of another type.
    auto frame = msg::encode(msg::ErrorReply{5, "no"}, 1);
    ASSERT_TRUE(frame.ok());
    auto m = wire::decode_frame(frame->data(), frame->size());
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(msg::decode_as<msg::CheckReply>(*m).reason, "");
}

TEST(CodecTyped, RecordsAreWrittenInDeclarationOrder) {
    msg::ExplainReply e;
    e.decision = proto::Decision::Deny;
    e.reason = "r";
    e.rule = "default-deny";
    e.rules.push_back({"a", "request", "f:1", "o"});
    e.conditions.push_back({"a", "schedule", proto::CondState::Fails, "d"});
    auto frame = msg::encode(e, 4);
    ASSERT_TRUE(frame.ok()) << frame.error().what;
    RawFrame expected(MsgType::ExplainReply, 4);
    expected.i64(FieldTag::Now, 0)
        .i64(FieldTag::At, 0)
        .boolean(FieldTag::Managed, false)
        .u64(FieldTag::Decision, 1)
        .str(FieldTag::Reason, "r")
        .str(FieldTag::Rule, "default-deny")
        .record(FieldTag::RuleReport, RawFrame(MsgType::ExplainReply)
                                          .str(FieldTag::Rule, "a")
                                          .str(FieldTag::Kind, "request")
                                          .str(FieldTag::RuleOrigin, "f:1")
                                          .str(FieldTag::Outcome, "o"))
        .record(FieldTag::Condition, RawFrame(MsgType::ExplainReply)
                                         .str(FieldTag::Rule, "a")
                                         .str(FieldTag::CondName, "schedule")
                                         .u64(FieldTag::CondState, 2)
                                         .str(FieldTag::Detail, "d"));
    EXPECT_EQ(*frame, expected.frame());
}

}  // namespace
}  // namespace jit::test
