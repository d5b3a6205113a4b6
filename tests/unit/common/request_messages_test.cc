// The policy, request and approval messages (protocol.h, types 40-69): every
// field survives the round trip, the documented layout is what goes on the
// wire, and the cross-field rules refuse what they must.
#include <errno.h>
#include <gtest/gtest.h>

#include "jit/request_messages.h"
#include "tests/unit/common/raw_frame.h"

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

Error decode_error(const Bytes& frame) {
    auto m = wire::decode_frame(frame.data(), frame.size());
    EXPECT_FALSE(m.ok()) << "the decoder accepted a frame it must refuse";
    return m.ok() ? Error{} : m.error();
}

msg::RequestRecord full_request() {
    msg::RequestRecord r;
    r.id = "r-7kq2m9ab";
    r.user = "deploy";
    r.services = {"sshd", "sudo"};
    r.source = "10.0.0.0/8";
    r.not_before = 1764440100;
    r.not_after = 1764443700;
    r.duration = 3600;
    r.start_on_approval = true;
    r.reason = "release 4.2";
    r.ticket = "CHG-123";
    r.requester = 1000;
    r.rule = "deploy-releases";
    r.required = 2;
    r.approver_groups = {"release-approvers", "sre"};
    r.risk = {"new-source", "burst"};
    r.created = 1764440000;
    r.expires = 1764443600;
    r.state = proto::RequestState::Approved;
    r.decided_at = 1764440500;
    r.decided_by = 1001;
    r.comment = "ok";
    r.grant_id = "g-aaaabbbb";
    return r;
}

TEST(RequestMessages, CreateKeepsEveryField) {
    msg::RequestCreate in;
    in.user = "deploy";
    in.services = {"sshd", "sudo"};
    in.duration = 900;
    in.reason = "release";
    in.ticket = "CHG-1";
    in.source = "local";
    in.not_before = 1764440100;
    auto out = msg::decode_request_create(view_of(msg::encode(in, 5), MsgType::RequestCreate));
    EXPECT_EQ(out.user, "deploy");
    EXPECT_EQ(out.services, in.services);
    EXPECT_EQ(out.duration, 900u);
    EXPECT_EQ(out.reason, "release");
    EXPECT_EQ(out.ticket, "CHG-1");
    EXPECT_EQ(out.source, "local");
    EXPECT_EQ(out.not_before, 1764440100);
    EXPECT_FALSE(out.start_on_approval);
}

TEST(RequestMessages, CreateIsTheDocumentedLayout) {
    msg::RequestCreate in;
    in.user = "deploy";
    in.services = {"sshd"};
    in.duration = 60;
    in.start_on_approval = true;
    auto frame = msg::encode(in, 9);
    ASSERT_TRUE(frame.ok());
    RawFrame expected(MsgType::RequestCreate, 9);
    expected.str(FieldTag::User, "deploy")
        .str(FieldTag::Service, "sshd")
        .u64(FieldTag::Duration, 60)
        .boolean(FieldTag::StartOnApproval, 1);
    EXPECT_EQ(*frame, expected.frame());
}

TEST(RequestMessages, CreateCannotStartBothAtATimeAndAtApproval) {
    RawFrame f(MsgType::RequestCreate);
    f.str(FieldTag::User, "deploy")
        .str(FieldTag::Service, "sshd")
        .u64(FieldTag::Duration, 60)
        .i64(FieldTag::NotBefore, 1)
        .boolean(FieldTag::StartOnApproval, 1);
    EXPECT_EQ(decode_error(f.frame()).code, EPROTO);
    RawFrame no_duration(MsgType::RequestCreate);
    no_duration.str(FieldTag::User, "deploy").str(FieldTag::Service, "sshd");
    EXPECT_EQ(decode_error(no_duration.frame()).code, EPROTO);
    msg::RequestCreate both;
    both.user = "deploy";
    both.services = {"sshd"};
    both.duration = 60;
    both.not_before = 1;
    both.start_on_approval = true;
    EXPECT_FALSE(msg::encode(both, 1).ok()) << "we never send what the other side must refuse";
}

TEST(RequestMessages, RequestRecordKeepsEveryField) {
    msg::RequestList in;
    in.requests.push_back(full_request());
    in.approvals.push_back({"r-7kq2m9ab", 1001, proto::Verdict::Approve, 1764440400, "fine", 1800});
    in.approvals.push_back({"r-7kq2m9ab", 1002, proto::Verdict::Deny, 1764440450, "", {}});
    auto out = msg::decode_request_list(
        view_of(msg::encode(MsgType::RequestReply, in, 1), MsgType::RequestReply));
    ASSERT_EQ(out.requests.size(), 1u);
    const auto& r = out.requests[0];
    const auto w = full_request();
    EXPECT_EQ(r.id, w.id);
    EXPECT_EQ(r.services, w.services);
    EXPECT_EQ(r.source, w.source);
    EXPECT_EQ(r.not_before, w.not_before);
    EXPECT_EQ(r.not_after, w.not_after);
    EXPECT_EQ(r.duration, w.duration);
    EXPECT_TRUE(r.start_on_approval);
    EXPECT_EQ(r.reason, w.reason);
    EXPECT_EQ(r.ticket, w.ticket);
    EXPECT_EQ(r.requester, w.requester);
    EXPECT_EQ(r.rule, w.rule);
    EXPECT_EQ(r.required, w.required);
    EXPECT_EQ(r.approver_groups, w.approver_groups);
    EXPECT_EQ(r.risk, w.risk);
    EXPECT_EQ(r.created, w.created);
    EXPECT_EQ(r.expires, w.expires);
    EXPECT_EQ(r.state, w.state);
    EXPECT_EQ(r.decided_at, w.decided_at);
    EXPECT_EQ(r.decided_by, w.decided_by);
    EXPECT_EQ(r.comment, w.comment);
    EXPECT_EQ(r.grant_id, w.grant_id);
    ASSERT_EQ(out.approvals.size(), 2u);
    EXPECT_EQ(out.approvals[0].approver, 1001u);
    EXPECT_EQ(out.approvals[0].duration, 1800u);
    EXPECT_EQ(out.approvals[0].comment, "fine");
    EXPECT_EQ(out.approvals[1].verdict, proto::Verdict::Deny);
    EXPECT_FALSE(out.approvals[1].duration.has_value());
    EXPECT_FALSE(out.now.has_value()) << "a single request reply carries no clock";
}

TEST(RequestMessages, ReplyHoldsExactlyOneRequest) {
    msg::RequestList none;
    EXPECT_FALSE(msg::encode(MsgType::RequestReply, none, 1).ok());
    msg::RequestList two;
    two.requests = {full_request(), full_request()};
    EXPECT_FALSE(msg::encode(MsgType::RequestReply, two, 1).ok());
    two.now = 5;
    auto out = msg::decode_request_list(
        view_of(msg::encode(MsgType::RequestListReply, two, 1), MsgType::RequestListReply));
    EXPECT_EQ(out.requests.size(), 2u);
    EXPECT_EQ(out.now, 5);
}

TEST(RequestMessages, ActionsCarryOnlyWhatTheirTypeAllows) {
    msg::RequestAction a;
    a.id = "r-7kq2m9ab";
    a.comment = "shorter please";
    a.duration = 600;
    a.source = "10.1.0.0/16";
    a.services = {"sshd"};
    auto approve = msg::decode_request_action(
        view_of(msg::encode(MsgType::RequestApprove, a, 1), MsgType::RequestApprove));
    EXPECT_EQ(approve.duration, 600u);
    EXPECT_EQ(approve.source, "10.1.0.0/16");
    EXPECT_EQ(approve.services, a.services);
    EXPECT_EQ(approve.comment, "shorter please");
    auto deny = msg::decode_request_action(
        view_of(msg::encode(MsgType::RequestDeny, a, 1), MsgType::RequestDeny));
    EXPECT_EQ(deny.comment, "shorter please");
    EXPECT_FALSE(deny.duration.has_value());
    auto show = msg::decode_request_action(
        view_of(msg::encode(MsgType::RequestShow, a, 1), MsgType::RequestShow));
    EXPECT_EQ(show.id, a.id);
    EXPECT_TRUE(show.comment.empty());
    a.comment.clear();
    EXPECT_FALSE(msg::encode(MsgType::RequestDeny, a, 1).ok()) << "a denial needs a comment";
    RawFrame empty_comment(MsgType::RequestDeny);
    empty_comment.str(FieldTag::RequestId, "r-7kq2m9ab").str(FieldTag::Comment, "");
    EXPECT_EQ(decode_error(empty_comment.frame()).code, EPROTO);
    RawFrame stray(MsgType::RequestShow);
    stray.str(FieldTag::RequestId, "r-7kq2m9ab").str(FieldTag::Comment, "x");
    EXPECT_EQ(decode_error(stray.frame()).code, EPROTO) << "show takes no comment";
}

TEST(RequestMessages, ListQueryAndExplainQuery) {
    auto q = msg::decode_request_query(
        view_of(msg::encode(msg::RequestQuery{"deploy", true}, 1), MsgType::RequestList));
    EXPECT_EQ(q.user, "deploy");
    EXPECT_TRUE(q.pending_only);
    msg::ExplainQuery e{"deploy", "sshd", "10.0.0.1", 1764440000, ""};
    auto out = msg::decode_explain_query(view_of(msg::encode(e, 1), MsgType::ExplainRequest));
    EXPECT_EQ(out.user, "deploy");
    EXPECT_EQ(out.service, "sshd");
    EXPECT_EQ(out.rhost, "10.0.0.1");
    EXPECT_EQ(out.at, 1764440000);
    out = msg::decode_explain_query(view_of(
        msg::encode(msg::ExplainQuery{"deploy", "sshd", "", {}, ""}, 1), MsgType::ExplainRequest));
    EXPECT_FALSE(out.at.has_value());
}

TEST(RequestMessages, ExplainReplyKeepsEveryPart) {
    msg::ExplainReply in;
    in.now = 10;
    in.at = 20;
    in.managed = true;
    in.decision = proto::Decision::Allow;
    in.reason = "implicit grant";
    in.rule = "backup-nightly";
    in.grant_id = "(new)";
    in.not_after = 620;
    in.rules.push_back({"backup-nightly", "implicit", "/etc/jit/policy.d/b.conf:3", "allows"});
    in.conditions.push_back({"backup-nightly", "schedule", proto::CondState::Holds, "inside"});
    in.conditions.push_back({"backup-nightly", "ticket", proto::CondState::Needs, "CHG-.*"});
    in.requests.push_back(full_request());
    auto out = msg::decode_explain_reply(view_of(msg::encode(in, 1), MsgType::ExplainReply));
    EXPECT_EQ(out.now, 10);
    EXPECT_EQ(out.at, 20);
    EXPECT_TRUE(out.managed);
    EXPECT_EQ(out.decision, proto::Decision::Allow);
    EXPECT_EQ(out.grant_id, "(new)");
    EXPECT_EQ(out.not_after, 620);
    ASSERT_EQ(out.rules.size(), 1u);
    EXPECT_EQ(out.rules[0].origin, "/etc/jit/policy.d/b.conf:3");
    ASSERT_EQ(out.conditions.size(), 2u);
    EXPECT_EQ(out.conditions[1].state, proto::CondState::Needs);
    EXPECT_EQ(out.conditions[1].detail, "CHG-.*");
    ASSERT_EQ(out.requests.size(), 1u);
    RawFrame bad(MsgType::ExplainReply);
    bad.i64(FieldTag::Now, 1)
        .i64(FieldTag::At, 1)
        .boolean(FieldTag::Managed, 1)
        .u64(FieldTag::Decision, 3)
        .str(FieldTag::Reason, "x")
        .str(FieldTag::Rule, "x");
    EXPECT_EQ(decode_error(bad.frame()).code, EPROTO) << "decision 3 is neither allow nor deny";
}

TEST(RequestMessages, RecordsNestOnlyOneLevel) {
    RawFrame approval(MsgType::RequestReply);
    approval.str(FieldTag::RequestId, "r-7kq2m9ab")
        .u64(FieldTag::Approver, 1)
        .u64(FieldTag::Verdict, 1)
        .i64(FieldTag::At, 1);
    RawFrame request(MsgType::RequestReply);
    request.str(FieldTag::RequestId, "r-7kq2m9ab").record(FieldTag::Approval, approval);
    RawFrame outer(MsgType::RequestReply);
    outer.record(FieldTag::Request, request);
    EXPECT_EQ(decode_error(outer.frame()).code, EPROTO);
}

}  // namespace
}  // namespace jit::test
