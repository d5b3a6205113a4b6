// The typed message layer: every field of every message survives
// encode -> decode_frame -> decode, optional fields stay absent when absent
// and present (even at zero) when present, and the bytes on the wire are the
// layout protocol.h documents.
#include <errno.h>
#include <gtest/gtest.h>
#include <stdint.h>

#include <string>

#include "jit/message_codec.h"
#include "jit/messages.h"
#include "tests/unit/common/raw_frame.h"

namespace jit::test {
namespace {

using proto::FieldTag;
using proto::MsgType;

// Decodes a frame the encoder produced; fails the test if the decoder refuses it.
wire::MessageView view_of(const Result<msg::Frame>& frame, MsgType type, uint32_t id) {
    EXPECT_TRUE(frame.ok()) << (frame.ok() ? "" : frame.error().what);
    if (!frame.ok()) return {};
    auto m = wire::decode_frame(frame->data(), frame->size());
    EXPECT_TRUE(m.ok()) << "decoder refused an encoded frame: " << (m.ok() ? "" : m.error().what);
    if (!m.ok()) return {};
    EXPECT_EQ(m->header.type, type);
    EXPECT_EQ(m->header.request_id, id);
    return *m;
}

// How many times `tag` occurs at the top level of an encoded frame.
int count_tag(const msg::Frame& frame, FieldTag tag) {
    wire::FieldIterator it(frame.data() + proto::kHeaderSize, frame.size() - proto::kHeaderSize);
    wire::FieldView f;
    int n = 0;
    while (it.next(&f)) n += f.tag == tag;
    return n;
}

TEST(Messages, CheckRequestKeepsEveryField) {
    msg::CheckRequest in{"deploy", "sshd", "192.0.2.7", "pts/3", "jürgen"};
    auto frame = msg::encode(in, 11);
    auto out = msg::decode_check_request(view_of(frame, MsgType::CheckRequest, 11));
    EXPECT_EQ(out.user, "deploy");
    EXPECT_EQ(out.service, "sshd");
    EXPECT_EQ(out.rhost, "192.0.2.7");
    EXPECT_EQ(out.tty, "pts/3");
    EXPECT_EQ(out.ruser, "jürgen");
}

TEST(Messages, CheckRequestLeavesEmptyOptionalsOffTheWire) {
    auto frame = msg::encode(msg::CheckRequest{"deploy", "sudo", "", "", ""}, 1);
    ASSERT_TRUE(frame.ok());
    EXPECT_EQ(count_tag(*frame, FieldTag::Rhost), 0);
    EXPECT_EQ(count_tag(*frame, FieldTag::Tty), 0);
    EXPECT_EQ(count_tag(*frame, FieldTag::Ruser), 0);
    auto out = msg::decode_check_request(view_of(frame, MsgType::CheckRequest, 1));
    EXPECT_EQ(out.rhost, "");
    EXPECT_EQ(out.service, "sudo");
}

TEST(Messages, CheckRequestIsTheDocumentedLayout) {
    auto frame = msg::encode(msg::CheckRequest{"deploy", "sshd", "h", "", "r"}, 0x01020304);
    ASSERT_TRUE(frame.ok());
    RawFrame expected(MsgType::CheckRequest, 0x01020304);
    expected.str(FieldTag::User, "deploy")
        .str(FieldTag::Service, "sshd")
        .str(FieldTag::Rhost, "h")
        .str(FieldTag::Ruser, "r");
    EXPECT_EQ(*frame, expected.frame());
}

TEST(Messages, CheckReplyAllowKeepsEveryField) {
    msg::CheckReply in;
    in.decision = proto::Decision::Allow;
    in.reason = "grant in force";
    in.grant_id = "g-7kq2m9ab";
    in.not_after = 1764441000;
    in.rule = "rule-7";
    auto out = msg::decode_check_reply(view_of(msg::encode(in, 5), MsgType::CheckReply, 5));
    EXPECT_EQ(out.decision, proto::Decision::Allow);
    EXPECT_EQ(out.reason, "grant in force");
    EXPECT_EQ(out.grant_id, "g-7kq2m9ab");
    EXPECT_EQ(out.not_after, std::optional<int64_t>(1764441000));
    EXPECT_EQ(out.rule, "rule-7");
}

TEST(Messages, CheckReplyDenyKeepsOptionalsAbsentOrPresentAtZero) {
    msg::CheckReply deny;
    deny.decision = proto::Decision::Deny;
    deny.reason = "no grant";
    auto frame = msg::encode(deny, 6);
    ASSERT_TRUE(frame.ok());
    EXPECT_EQ(count_tag(*frame, FieldTag::NotAfter), 0);
    EXPECT_EQ(count_tag(*frame, FieldTag::GrantId), 0);
    EXPECT_EQ(count_tag(*frame, FieldTag::Rule), 0);
    auto out = msg::decode_check_reply(view_of(frame, MsgType::CheckReply, 6));
    EXPECT_EQ(out.decision, proto::Decision::Deny);
    EXPECT_EQ(out.reason, "no grant");
    EXPECT_FALSE(out.not_after.has_value());

    deny.not_after = 0;  // present, and zero: must not collapse into absent
    out = msg::decode_check_reply(view_of(msg::encode(deny, 6), MsgType::CheckReply, 6));
    ASSERT_TRUE(out.not_after.has_value());
    EXPECT_EQ(*out.not_after, 0);
}

// Whatever layer catches it, an allow without its grant id or expiry must
// never reach a reader as a valid frame.
TEST(Messages, IncompleteAllowNeverDecodes) {
    msg::CheckReply allow;
    allow.decision = proto::Decision::Allow;
    allow.reason = "x";
    allow.not_after = 1764441000;  // no grant id
    auto frame = msg::encode(allow, 1);
    EXPECT_FALSE(frame.ok() && wire::decode_frame(frame->data(), frame->size()).ok());
    allow.grant_id = "g-7kq2m9ab";
    allow.not_after.reset();  // no expiry
    frame = msg::encode(allow, 1);
    EXPECT_FALSE(frame.ok() && wire::decode_frame(frame->data(), frame->size()).ok());
}

TEST(Messages, GrantRequestWithDurationKeepsEveryField) {
    msg::GrantRequest in;
    in.user = "deploy";
    in.services = {"sshd", "sudo", "su"};
    in.reason = "release 4.2";
    in.source = "10.0.0.0/8";
    in.duration = 900;
    auto out = msg::decode_grant_request(view_of(msg::encode(in, 7), MsgType::GrantRequest, 7));
    EXPECT_EQ(out.user, "deploy");
    EXPECT_EQ(out.services, (std::vector<std::string>{"sshd", "sudo", "su"}));  // order kept
    EXPECT_EQ(out.reason, "release 4.2");
    EXPECT_EQ(out.source, "10.0.0.0/8");
    EXPECT_EQ(out.duration, std::optional<uint64_t>(900));
    EXPECT_FALSE(out.not_before.has_value());
    EXPECT_FALSE(out.not_after.has_value());
}

TEST(Messages, GrantRequestWithBoundsKeepsExtremeValues) {
    msg::GrantRequest in;
    in.user = "backup";
    in.services = {"sudo"};
    in.reason = "nightly";
    in.not_before = INT64_MIN;
    in.not_after = INT64_MAX;
    auto frame = msg::encode(in, 8);
    ASSERT_TRUE(frame.ok());
    EXPECT_EQ(count_tag(*frame, FieldTag::Duration), 0);
    EXPECT_EQ(count_tag(*frame, FieldTag::Source), 0);
    auto out = msg::decode_grant_request(view_of(frame, MsgType::GrantRequest, 8));
    EXPECT_FALSE(out.duration.has_value());
    EXPECT_EQ(out.not_before, std::optional<int64_t>(INT64_MIN));
    EXPECT_EQ(out.not_after, std::optional<int64_t>(INT64_MAX));
    EXPECT_EQ(out.source, "");
}

TEST(Messages, RevokeRequestByIdAndByUser) {
    msg::RevokeRequest by_id{"g-7kq2m9ab", "", "incident 12"};
    auto out =
        msg::decode_revoke_request(view_of(msg::encode(by_id, 9), MsgType::RevokeRequest, 9));
    EXPECT_EQ(out.grant_id, "g-7kq2m9ab");
    EXPECT_EQ(out.user, "");
    EXPECT_EQ(out.reason, "incident 12");

    msg::RevokeRequest by_user{"", "deploy", ""};
    auto frame = msg::encode(by_user, 10);
    ASSERT_TRUE(frame.ok());
    EXPECT_EQ(count_tag(*frame, FieldTag::GrantId), 0);
    EXPECT_EQ(count_tag(*frame, FieldTag::Reason), 0);
    out = msg::decode_revoke_request(view_of(frame, MsgType::RevokeRequest, 10));
    EXPECT_EQ(out.grant_id, "");
    EXPECT_EQ(out.user, "deploy");
}

TEST(Messages, ListRequestAbsentAndPresentFields) {
    auto frame = msg::encode(msg::ListRequest{}, 12);
    ASSERT_TRUE(frame.ok());
    EXPECT_EQ(frame->size(), proto::kHeaderSize) << "an empty list request has an empty body";
    auto out = msg::decode_list_request(view_of(frame, MsgType::ListRequest, 12));
    EXPECT_EQ(out.user, "");
    EXPECT_FALSE(out.include_ended);

    EXPECT_FALSE(out.fleet_after) << "absent: not a fleet page";

    out = msg::decode_list_request(view_of(
        msg::encode(msg::ListRequest{"deploy", true, std::nullopt}, 13), MsgType::ListRequest, 13));
    EXPECT_EQ(out.user, "deploy");
    EXPECT_TRUE(out.include_ended);

    // A fleet page from the start ("") is not the same as no page at all.
    out = msg::decode_list_request(
        view_of(msg::encode(msg::ListRequest{"", false, ""}, 14), MsgType::ListRequest, 14));
    ASSERT_TRUE(out.fleet_after);
    EXPECT_EQ(*out.fleet_after, "");
    out = msg::decode_list_request(view_of(
        msg::encode(msg::ListRequest{"", false, "fg-abcdefghij"}, 15), MsgType::ListRequest, 15));
    EXPECT_EQ(out.fleet_after, std::optional<std::string>("fg-abcdefghij"));
}

msg::GrantRecord full_grant(std::string id) {
    msg::GrantRecord g;
    g.id = std::move(id);
    g.user = "deploy";
    g.services = {"sshd", "sudo"};
    g.source = "2001:db8::/32";
    g.not_before = 1764440100;
    g.not_after = 1764441000;
    g.reason = "release 4.2";
    g.granted_by = 1000;
    g.created = 1764440000;
    g.state = proto::GrantState::Revoked;
    g.ended_at = 1764440500;
    g.ended_by = 0;  // revoked by root: present and zero
    return g;
}

void expect_same_grant(const msg::GrantRecord& a, const msg::GrantRecord& b) {
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.user, b.user);
    EXPECT_EQ(a.services, b.services);
    EXPECT_EQ(a.source, b.source);
    EXPECT_EQ(a.not_before, b.not_before);
    EXPECT_EQ(a.not_after, b.not_after);
    EXPECT_EQ(a.reason, b.reason);
    EXPECT_EQ(a.granted_by, b.granted_by);
    EXPECT_EQ(a.created, b.created);
    EXPECT_EQ(a.state, b.state);
    EXPECT_EQ(a.ended_at, b.ended_at);
    EXPECT_EQ(a.ended_by, b.ended_by);
}

TEST(Messages, GrantReplyKeepsEveryRecordField) {
    msg::GrantList in;
    in.grants = {full_grant("g-aaaaaaaa")};
    auto out = msg::decode_grant_list(
        view_of(msg::encode(MsgType::GrantReply, in, 14), MsgType::GrantReply, 14));
    ASSERT_EQ(out.grants.size(), 1u);
    expect_same_grant(out.grants[0], in.grants[0]);
    EXPECT_FALSE(out.now.has_value()) << "GRANT_REPLY carries no Now";
}

TEST(Messages, GrantRecordOptionalsStayAbsent) {
    msg::GrantRecord active = full_grant("g-bbbbbbbb");
    active.state = proto::GrantState::Active;
    active.source.clear();
    active.ended_at.reset();
    active.ended_by.reset();
    auto out = msg::decode_grant_list(
        view_of(msg::encode(MsgType::GrantReply, msg::GrantList{std::nullopt, {active}}, 15),
                MsgType::GrantReply, 15));
    ASSERT_EQ(out.grants.size(), 1u);
    expect_same_grant(out.grants[0], active);
    EXPECT_FALSE(out.grants[0].ended_at.has_value());
    EXPECT_FALSE(out.grants[0].ended_by.has_value());
}

TEST(Messages, ListReplyKeepsNowAndEveryGrantInOrder) {
    msg::GrantList in;
    in.now = -1;  // before the epoch: any i64 is carried
    in.grants = {full_grant("g-aaaaaaaa"), full_grant("g-bbbbbbbb"), full_grant("g-cccccccc")};
    in.grants[1].services = {"su"};
    auto out = msg::decode_grant_list(
        view_of(msg::encode(MsgType::ListReply, in, 16), MsgType::ListReply, 16));
    EXPECT_EQ(out.now, std::optional<int64_t>(-1));
    ASSERT_EQ(out.grants.size(), 3u);
    for (size_t i = 0; i < 3; ++i) expect_same_grant(out.grants[i], in.grants[i]);
}

TEST(Messages, RevokeReplyWithNoGrants) {
    auto out = msg::decode_grant_list(
        view_of(msg::encode(MsgType::RevokeReply, msg::GrantList{}, 17), MsgType::RevokeReply, 17));
    EXPECT_TRUE(out.grants.empty());
    EXPECT_FALSE(out.now.has_value());
}

TEST(Messages, StatusRequestIsAnEmptyBody) {
    auto frame = msg::encode_status_request(18);
    view_of(frame, MsgType::StatusRequest, 18);
    ASSERT_TRUE(frame.ok());
    EXPECT_EQ(frame->size(), proto::kHeaderSize);
}

TEST(Messages, StatusReplyKeepsEveryField) {
    msg::StatusReply in;
    in.version = "0.1.0";
    in.pid = 4242;
    in.uptime = UINT64_MAX;
    in.now = 1764440600;
    in.active_grants = 3;
    in.state_dir = "/var/lib/jit";
    in.schema_version = 2;
    in.managed_users = {"deploy", "backup"};
    in.managed_groups = {"jit-managed"};
    in.managed_uids = {"60000-60999", "70000-70010"};
    auto out = msg::decode_status_reply(view_of(msg::encode(in, 19), MsgType::StatusReply, 19));
    EXPECT_EQ(out.version, in.version);
    EXPECT_EQ(out.pid, in.pid);
    EXPECT_EQ(out.uptime, in.uptime);
    EXPECT_EQ(out.now, in.now);
    EXPECT_EQ(out.active_grants, in.active_grants);
    EXPECT_EQ(out.state_dir, in.state_dir);
    EXPECT_EQ(out.schema_version, in.schema_version);
    EXPECT_EQ(out.managed_users, in.managed_users);
    EXPECT_EQ(out.managed_groups, in.managed_groups);
    EXPECT_EQ(out.managed_uids, in.managed_uids);
}

TEST(Messages, ErrorReplyKeepsCodeAndMessage) {
    auto out = msg::decode_error_reply(view_of(
        msg::encode(msg::ErrorReply{EPERM, "not an administrator"}, 20), MsgType::ErrorReply, 20));
    EXPECT_EQ(out.code, uint64_t(EPERM));
    EXPECT_EQ(out.message, "not an administrator");
}

TEST(Messages, LongestStringSurvives) {
    std::string reason(proto::kMaxString, 'r');
    reason.replace(0, 2, "é");  // multi-byte text at the limit
    auto out = msg::decode_error_reply(
        view_of(msg::encode(msg::ErrorReply{EIO, reason}, 21), MsgType::ErrorReply, 21));
    EXPECT_EQ(out.message, reason);
}

// A frame is written on the stack up to kSmallFrame bytes and into a heap
// buffer beyond: every size round-trips, on both sides of the boundary and
// near the frame limit.
TEST(Messages, EncodeWritesFramesOfEverySizeUpToTheLimit) {
    for (size_t n = msg::kSmallFrame - 64; n <= msg::kSmallFrame + 64; ++n) {
        const std::string reason(n, 'r');
        auto frame = msg::encode(msg::ErrorReply{EIO, reason}, 5);
        ASSERT_TRUE(frame.ok()) << n << ": " << frame.error().what;
        auto out = msg::decode_error_reply(view_of(frame, MsgType::ErrorReply, 5));
        EXPECT_EQ(out.message, reason) << n;
    }
    // As many 1 KiB grants as the limit holds: one more is refused.
    msg::GrantList many;
    many.now = 1;
    Result<msg::Frame> big = make_error(EMSGSIZE, "none yet");
    for (;;) {
        many.grants.push_back(full_grant("g-aaaaaaaa"));
        many.grants.back().reason = std::string(1000, 'r');
        auto next = msg::encode(MsgType::ListReply, many, 3);
        if (!next) {
            EXPECT_EQ(next.error().code, EMSGSIZE);
            break;
        }
        big = std::move(next);
    }
    ASSERT_TRUE(big.ok()) << big.error().what;
    EXPECT_GT(big->size(), proto::kMaxFrame - 2 * 1024);
    auto view = wire::decode_frame(big->data(), big->size());
    ASSERT_TRUE(view.ok()) << view.error().what;
    EXPECT_EQ(msg::decode_grant_list(*view).grants.size(), many.grants.size() - 1);
}

TEST(Messages, EncodeRefusesBadTextAndOversizedMessages) {
    using namespace std::string_literals;
    auto nul = msg::encode(msg::CheckRequest{"dep\0loy"s, "sshd", "", "", ""}, 1);
    ASSERT_FALSE(nul.ok());
    EXPECT_EQ(nul.error().code, EINVAL);
    auto bad_utf8 = msg::encode(msg::ErrorReply{EIO, "\xff"}, 1);
    ASSERT_FALSE(bad_utf8.ok());
    EXPECT_EQ(bad_utf8.error().code, EINVAL);
    auto too_long = msg::encode(msg::ErrorReply{EIO, std::string(proto::kMaxString + 1, 'x')}, 1);
    ASSERT_FALSE(too_long.ok());
    EXPECT_EQ(too_long.error().code, EINVAL);

    msg::GrantList many;
    many.now = 1;
    for (int i = 0; i < 200; ++i) many.grants.push_back(full_grant("g-aaaaaaaa"));
    for (auto& g : many.grants) g.reason = std::string(1000, 'r');
    auto too_big = msg::encode(MsgType::ListReply, many, 1);
    ASSERT_FALSE(too_big.ok());
    EXPECT_EQ(too_big.error().code, EMSGSIZE);
}

}  // namespace
}  // namespace jit::test

namespace {

// The encoders check their own output against the schema: jitd never sends a
// frame the other side must refuse.
TEST(MessagesEncode, RefusesFramesTheSchemaForbids) {
    jit::msg::CheckReply allow_without_id;
    allow_without_id.decision = jit::proto::Decision::Allow;
    allow_without_id.reason = "ok";
    allow_without_id.not_after = 1;
    auto a = jit::msg::encode(allow_without_id, 1);
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.error().code, EINVAL);

    jit::msg::GrantList one_grant_without_services;
    one_grant_without_services.grants.push_back(jit::msg::GrantRecord{});
    one_grant_without_services.grants[0].id = "g-aaaaaaaa";
    one_grant_without_services.grants[0].user = "deploy";
    one_grant_without_services.grants[0].reason = "r";
    auto g = jit::msg::encode(jit::proto::MsgType::GrantReply, one_grant_without_services, 1);
    ASSERT_FALSE(g.ok());
    EXPECT_EQ(g.error().code, EINVAL);

    jit::msg::RevokeRequest neither;
    EXPECT_FALSE(jit::msg::encode(neither, 1).ok());
}

}  // namespace
