// The wire contract of workload identity (protocol.h, tags 150-154, types
// 51-52): IdToken's own length cap, IDENTITY_LOGIN's schema and rules, the
// identity fields on grant and request records, and the view forms pam_jit
// uses, which must write the same bytes as the typed ones.
#include <errno.h>
#include <gtest/gtest.h>

#include <string>

#include "jit/identity_messages.h"
#include "jit/message_codec.h"
#include "jit/message_views.h"
#include "jit/request_messages.h"
#include "jit/wire.h"
#include "tests/unit/common/raw_frame.h"
#include "tests/unit/common/wire_expect.h"

namespace jit::test {
namespace {

using proto::Decision;
using proto::FieldTag;
using proto::MsgType;

const std::string kToken = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";

RawFrame login(std::string_view token) {
    RawFrame r(MsgType::IdentityLoginRequest);
    r.str(FieldTag::User, "deploy").str(FieldTag::Service, "sshd").str(FieldTag::IdToken, token);
    return r;
}

TEST(IdentityWire, LoginRequestIsAcceptedWithOrWithoutRhost) {
    expect_accepted(login(kToken).frame());
    auto r = login(kToken);
    r.str(FieldTag::Rhost, "192.0.2.7");
    expect_accepted(r.frame());
}

TEST(IdentityWire, IdTokenHasItsOwnCapAboveKMaxString) {
    expect_accepted(login(std::string(proto::kMaxString + 1, 'a')).frame());
    expect_accepted(login(std::string(proto::kMaxIdToken, 'a')).frame());
    expect_rejected(login(std::string(proto::kMaxIdToken + 1, 'a')).frame(), EPROTO,
                    "string too long");
    // The larger cap is IdToken's alone.
    RawFrame other(MsgType::IdentityLoginRequest);
    other.str(FieldTag::User, "deploy")
        .str(FieldTag::Service, std::string(proto::kMaxString + 1, 's'))
        .str(FieldTag::IdToken, kToken);
    expect_rejected(other.frame(), EPROTO, "string too long");
}

TEST(IdentityWire, LoginRequestNeedsANonEmptyToken) {
    expect_rejected(login("").frame(), EPROTO, "without a token");
    RawFrame none(MsgType::IdentityLoginRequest);
    none.str(FieldTag::User, "deploy").str(FieldTag::Service, "sshd");
    expect_rejected(none.frame(), EPROTO, "required field missing");
    expect_mutation_rejected(
        login(kToken), [](RawFrame& r) { r.str(FieldTag::IdToken, kToken); }, EPROTO, "repeated");
}

TEST(IdentityWire, IdTokenIsRefusedWhereItIsNotDeclared) {
    RawFrame check(MsgType::CheckRequest);
    check.str(FieldTag::User, "deploy").str(FieldTag::Service, "sshd");
    expect_mutation_rejected(
        check, [](RawFrame& r) { r.str(FieldTag::IdToken, kToken); }, EPROTO, "not allowed");
}

TEST(IdentityWire, LoginReplyRules) {
    auto reply = [](uint64_t decision) {
        RawFrame r(MsgType::IdentityLoginReply);
        r.u64(FieldTag::Decision, decision);
        return r;
    };
    auto allow = reply(uint64_t(Decision::Allow));
    allow.str(FieldTag::GrantId, "g-abcd2345").i64(FieldTag::NotAfter, 1800000000);
    expect_accepted(allow.frame());
    auto pending = reply(uint64_t(Decision::Deny));
    pending.str(FieldTag::RequestId, "r-abcd2345").str(FieldTag::Message, "pending approval");
    expect_accepted(pending.frame());

    auto no_grant = reply(uint64_t(Decision::Allow));
    no_grant.i64(FieldTag::NotAfter, 1800000000);
    expect_rejected(no_grant.frame(), EPROTO, "allow without grant id");
    auto no_end = reply(uint64_t(Decision::Allow));
    no_end.str(FieldTag::GrantId, "g-abcd2345");
    expect_rejected(no_end.frame(), EPROTO, "allow without grant id and expiry");
    expect_rejected(reply(uint64_t(Decision::Deny)).frame(), EPROTO, "needs a message");
    auto empty_message = reply(uint64_t(Decision::Deny));
    empty_message.str(FieldTag::Message, "");
    expect_rejected(empty_message.frame(), EPROTO, "needs a message");
    auto odd = reply(3);
    odd.str(FieldTag::Message, "x");
    expect_rejected(odd.frame(), EPROTO, "unknown decision");
}

TEST(IdentityMessage, LoginRoundTripsAndTheViewsWriteTheSameBytes) {
    std::string token(9000, 'T');
    msg::IdentityLoginRequest m{"deploy", "sshd", "192.0.2.7", token};
    auto frame = msg::encode(m, 5);
    ASSERT_TRUE(frame) << frame.error().what;
    view::IdentityLoginRequest v{"deploy", "sshd", "192.0.2.7", token};
    uint8_t buf[wire::max_frame_size(MsgType::IdentityLoginRequest)];
    auto len = codec::encode_into<MsgType::IdentityLoginRequest>(v, buf, sizeof buf, 5);
    ASSERT_TRUE(len) << len.error().what;
    EXPECT_EQ(Bytes(buf, buf + *len), *frame);
    auto dv = wire::decode_frame(frame->data(), frame->size());
    ASSERT_TRUE(dv) << dv.error().what;
    auto back = msg::decode_identity_login_request(*dv);
    EXPECT_EQ(back.user, "deploy");
    EXPECT_EQ(back.rhost, "192.0.2.7");
    EXPECT_EQ(back.id_token, token);

    msg::IdentityLoginReply reply;
    reply.decision = Decision::Deny;
    reply.request_id = "r-abcd2345";
    reply.message = "pending approval (1 of @release)";
    auto rf = msg::encode(reply, 5);
    ASSERT_TRUE(rf) << rf.error().what;
    auto rv = wire::decode_frame(rf->data(), rf->size());
    ASSERT_TRUE(rv);
    view::IdentityLoginReply got;
    ASSERT_TRUE(codec::decode_into<MsgType::IdentityLoginReply>(*rv, &got));
    EXPECT_EQ(got.decision, Decision::Deny);
    EXPECT_EQ(got.request_id, "r-abcd2345");
    EXPECT_EQ(got.message, reply.message);
    EXPECT_GE(wire::max_reply_size(MsgType::IdentityLoginReply), rf->size());
}

TEST(IdentityMessage, EncoderRefusesWhatTheDecoderWould) {
    EXPECT_FALSE(msg::encode(msg::IdentityLoginRequest{"deploy", "sshd", "", ""}, 1));
    std::string huge(proto::kMaxIdToken + 1, 'a');
    EXPECT_FALSE(msg::encode(msg::IdentityLoginRequest{"deploy", "sshd", "", huge}, 1));
    msg::IdentityLoginReply allow;
    allow.decision = Decision::Allow;
    allow.grant_id = "g-abcd2345";
    EXPECT_FALSE(msg::encode(allow, 1)) << "an allow needs NotAfter";
}

TEST(IdentityMessage, RequestAndRecordsCarryTheIdentity) {
    msg::RequestCreate create;
    create.user = "deploy";
    create.services = {"sudo"};
    create.duration = 600;
    create.id_token = std::string(6000, 'k');
    auto cf = msg::encode(create, 3);
    ASSERT_TRUE(cf) << cf.error().what;
    auto cv = wire::decode_frame(cf->data(), cf->size());
    ASSERT_TRUE(cv) << cv.error().what;
    EXPECT_EQ(msg::decode_request_create(*cv).id_token, create.id_token);

    msg::ExplainQuery q{"deploy", "sshd", "", std::nullopt, kToken};
    auto qf = msg::encode(q, 3);
    ASSERT_TRUE(qf);
    auto qv = wire::decode_frame(qf->data(), qf->size());
    ASSERT_TRUE(qv);
    EXPECT_EQ(msg::decode_explain_query(*qv).id_token, kToken);

    msg::GrantRecord g;
    g.id = "g-abcd2345";
    g.user = "deploy";
    g.services = {"sshd"};
    g.reason = "run 4711";
    g.identity_name = "github";
    g.identity_issuer = "https://token.actions.githubusercontent.com";
    g.identity_subject = "repo:acme/web:ref:refs/heads/main";
    g.identity_claims = {"repository=acme/web", "ref=refs/heads/main"};
    msg::GrantList list;
    list.grants = {g};
    auto gf = msg::encode(MsgType::GrantReply, list, 3);
    ASSERT_TRUE(gf) << gf.error().what;
    auto gv = wire::decode_frame(gf->data(), gf->size());
    ASSERT_TRUE(gv);
    auto back = msg::decode_grant_list(*gv).grants.at(0);
    EXPECT_EQ(back.identity_name, g.identity_name);
    EXPECT_EQ(back.identity_issuer, g.identity_issuer);
    EXPECT_EQ(back.identity_subject, g.identity_subject);
    EXPECT_EQ(back.identity_claims, g.identity_claims);

    g.identity_claims.assign(proto::kMaxIdentityClaims + 1, "a=b");
    list.grants = {g};
    EXPECT_FALSE(msg::encode(MsgType::GrantReply, list, 3)) << "too many claims";
}

}  // namespace
}  // namespace jit::test
