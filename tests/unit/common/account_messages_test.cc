// The NSS account messages (MsgType 20-24, FieldTag 40-48) and the JitGroup
// field of grants: the documented layouts, every field through a round trip,
// and each schema rule broken on its own.
#include <errno.h>
#include <gtest/gtest.h>

#include "jit/messages.h"
#include "tests/unit/common/raw_frame.h"
#include "tests/unit/common/wire_expect.h"

namespace jit::test {
namespace {

using proto::FieldTag;
using proto::MsgType;

wire::MessageView view_of(const Result<msg::Frame>& frame, MsgType type) {
    EXPECT_TRUE(frame.ok()) << (frame.ok() ? "" : frame.error().what);
    if (!frame.ok()) return {};
    auto m = wire::decode_frame(frame->data(), frame->size());
    EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().what);
    if (!m.ok()) return {};
    EXPECT_EQ(m->header.type, type);
    return *m;
}

RawFrame account_record_body() {
    RawFrame r(MsgType::AccountReply);
    r.str(FieldTag::User, "deploy")
        .u64(FieldTag::Uid, 60500)
        .u64(FieldTag::Gid, 60500)
        .str(FieldTag::Home, "/home/deploy")
        .str(FieldTag::Shell, "/bin/sh")
        .u64(FieldTag::Visibility, uint64_t(proto::AccountVisibility::Granted))
        .u64(FieldTag::Origin, uint64_t(proto::AccountOrigin::Jitctl))
        .i64(FieldTag::Created, 1764440000);
    return r;
}

msg::AccountRecord sample_account() {
    msg::AccountRecord a;
    a.name = "deploy";
    a.uid = 60500;
    a.gid = 60501;
    a.home = "/srv/deploy";
    a.shell = "/bin/bash";
    a.gecos = "Deploy bot";
    a.visibility = proto::AccountVisibility::Always;
    a.groups = {"jit-ops", "jit-deploy"};
    a.origin = proto::AccountOrigin::Config;
    a.created = 1764440000;
    return a;
}

TEST(AccountMessages, AddRequestKeepsEveryField) {
    msg::AccountAddRequest in;
    in.name = "deploy";
    in.uid = 60555;
    in.groups = {"jit-ops", "jit-sudo"};
    in.home = "/srv/deploy";
    in.shell = "/bin/bash";
    in.gecos = "Deploy bot";
    in.visibility = proto::AccountVisibility::Always;
    auto out =
        msg::decode_account_add_request(view_of(msg::encode(in, 3), MsgType::AccountAddRequest));
    EXPECT_EQ(out.name, "deploy");
    EXPECT_EQ(out.uid, 60555u);
    EXPECT_EQ(out.groups, (std::vector<std::string>{"jit-ops", "jit-sudo"}));
    EXPECT_EQ(out.home, "/srv/deploy");
    EXPECT_EQ(out.shell, "/bin/bash");
    EXPECT_EQ(out.gecos, "Deploy bot");
    EXPECT_EQ(out.visibility, proto::AccountVisibility::Always);
}

TEST(AccountMessages, AddRequestLeavesDefaultsOffTheWire) {
    msg::AccountAddRequest in;
    in.name = "ci";
    auto frame = msg::encode(in, 9);
    ASSERT_TRUE(frame.ok());
    EXPECT_EQ(*frame, RawFrame(MsgType::AccountAddRequest, 9).str(FieldTag::User, "ci").frame());
    auto out = msg::decode_account_add_request(view_of(frame, MsgType::AccountAddRequest));
    EXPECT_FALSE(out.uid.has_value());
    EXPECT_FALSE(out.visibility.has_value());
    EXPECT_TRUE(out.home.empty());
}

TEST(AccountMessages, AccountRecordIsTheDocumentedLayout) {
    msg::AccountList list;
    list.accounts.push_back(sample_account());
    list.accounts[0].gecos.clear();
    list.accounts[0].groups.clear();
    list.accounts[0].gid = 60500;
    list.accounts[0].uid = 60500;
    list.accounts[0].home = "/home/deploy";
    list.accounts[0].shell = "/bin/sh";
    list.accounts[0].visibility = proto::AccountVisibility::Granted;
    list.accounts[0].origin = proto::AccountOrigin::Jitctl;
    auto frame = msg::encode(MsgType::AccountReply, list, 7);
    ASSERT_TRUE(frame.ok());
    EXPECT_EQ(
        *frame,
        RawFrame(MsgType::AccountReply).record(FieldTag::Account, account_record_body()).frame());
}

TEST(AccountMessages, ListReplyKeepsEveryAccount) {
    msg::AccountList in;
    in.accounts = {sample_account(), sample_account()};
    in.accounts[1].name = "ci";
    in.accounts[1].gecos.clear();
    in.accounts[1].groups.clear();
    auto out = msg::decode_account_list(
        view_of(msg::encode(MsgType::AccountListReply, in, 1), MsgType::AccountListReply));
    ASSERT_EQ(out.accounts.size(), 2u);
    const auto& a = out.accounts[0];
    EXPECT_EQ(a.name, "deploy");
    EXPECT_EQ(a.uid, 60500u);
    EXPECT_EQ(a.gid, 60501u);
    EXPECT_EQ(a.home, "/srv/deploy");
    EXPECT_EQ(a.shell, "/bin/bash");
    EXPECT_EQ(a.gecos, "Deploy bot");
    EXPECT_EQ(a.visibility, proto::AccountVisibility::Always);
    EXPECT_EQ(a.groups, (std::vector<std::string>{"jit-ops", "jit-deploy"}));
    EXPECT_EQ(a.origin, proto::AccountOrigin::Config);
    EXPECT_EQ(a.created, 1764440000);
    EXPECT_EQ(out.accounts[1].name, "ci");
    EXPECT_TRUE(out.accounts[1].groups.empty());
    // An empty list is a valid list reply, not a valid single-account reply.
    EXPECT_TRUE(msg::encode(MsgType::AccountListReply, msg::AccountList{}, 1).ok());
    EXPECT_FALSE(msg::encode(MsgType::AccountReply, msg::AccountList{}, 1).ok());
}

TEST(AccountMessages, RemoveAndListRequests) {
    auto out = msg::decode_account_remove_request(view_of(
        msg::encode(msg::AccountRemoveRequest{"deploy"}, 2), MsgType::AccountRemoveRequest));
    EXPECT_EQ(out.name, "deploy");
    auto list = msg::encode_account_list_request(4);
    ASSERT_TRUE(list.ok());
    EXPECT_EQ(list->size(), proto::kHeaderSize);
}

TEST(AccountMessages, GrantsCarryTheirJitGroups) {
    msg::GrantRequest r;
    r.user = "deploy";
    r.services = {"sudo"};
    r.reason = "release";
    r.duration = 900;
    r.groups = {"jit-sudo"};
    auto req = msg::decode_grant_request(view_of(msg::encode(r, 1), MsgType::GrantRequest));
    EXPECT_EQ(req.groups, (std::vector<std::string>{"jit-sudo"}));

    msg::GrantList list;
    msg::GrantRecord g;
    g.id = "g-7kq2m9ab";
    g.user = "deploy";
    g.services = {"sudo"};
    g.reason = "release";
    g.groups = {"jit-sudo", "jit-ops"};
    list.grants.push_back(g);
    auto out = msg::decode_grant_list(
        view_of(msg::encode(MsgType::GrantReply, list, 1), MsgType::GrantReply));
    ASSERT_EQ(out.grants.size(), 1u);
    EXPECT_EQ(out.grants[0].groups, (std::vector<std::string>{"jit-sudo", "jit-ops"}));
}

TEST(AccountWireReject, EachRuleOnItsOwn) {
    RawFrame add(MsgType::AccountAddRequest);
    add.str(FieldTag::User, "deploy");
    expect_mutation_rejected(
        add, [](RawFrame& r) { r.str(FieldTag::User, "other"); }, EPROTO, "repeated");
    expect_mutation_rejected(
        add, [](RawFrame& r) { r.str(FieldTag::Service, "sshd"); }, EPROTO, "not allowed");
    expect_mutation_rejected(
        add, [](RawFrame& r) { r.str(FieldTag::Uid, "60500"); }, EPROTO, "kind");
    expect_fault_rejected(
        [](bool fault) {
            RawFrame r(MsgType::AccountAddRequest);
            if (!fault) r.str(FieldTag::User, "deploy");
            return r.u64(FieldTag::Uid, 1).frame();
        },
        EPROTO, "required");
    // At most kMaxGroups jit groups.
    expect_fault_rejected(
        [](bool fault) {
            RawFrame r(MsgType::AccountAddRequest);
            r.str(FieldTag::User, "deploy");
            for (uint32_t i = 0; i < proto::kMaxGroups + (fault ? 1 : 0); ++i)
                r.str(FieldTag::JitGroup, "g" + std::to_string(i));
            return r.frame();
        },
        EPROTO, "repeated");
    // A record needs all its required fields.
    expect_fault_rejected(
        [](bool fault) {
            RawFrame body = account_record_body();
            if (fault) body = RawFrame(MsgType::AccountReply).str(FieldTag::User, "x");
            return RawFrame(MsgType::AccountReply).record(FieldTag::Account, body).frame();
        },
        EPROTO, "required");
    // A single-account reply holds exactly one.
    expect_mutation_rejected(
        RawFrame(MsgType::AccountReply).record(FieldTag::Account, account_record_body()),
        [](RawFrame& r) { r.record(FieldTag::Account, account_record_body()); }, EPROTO,
        "repeated");
    // The list request has an empty body.
    expect_mutation_rejected(
        RawFrame(MsgType::AccountListRequest), [](RawFrame& r) { r.str(FieldTag::User, "x"); },
        EPROTO, "not allowed");
    // Grant records take JitGroup, at most kMaxGroups of them.
    expect_fault_rejected(
        [](bool fault) {
            RawFrame body = grant_record_body();
            for (uint32_t i = 0; i < proto::kMaxGroups + (fault ? 1 : 0); ++i)
                body.str(FieldTag::JitGroup, "g" + std::to_string(i));
            return RawFrame(MsgType::GrantReply).record(FieldTag::Grant, body).frame();
        },
        EPROTO, "repeated");
}

}  // namespace
}  // namespace jit::test
