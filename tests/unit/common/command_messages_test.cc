// COMMAND_CHECK_REQUEST, the question jit_sudo.so asks per sudo command, and
// COMMAND_EXIT_REQUEST, its audit record of how one ended: their schemas and
// rules in the decoder, and the typed layer's round trip.
#include <errno.h>
#include <gtest/gtest.h>

#include <string>

#include "jit/command_messages.h"
#include "jit/wire.h"
#include "tests/unit/common/raw_frame.h"
#include "tests/unit/common/wire_expect.h"

namespace jit::test {
namespace {

using proto::FieldTag;
using proto::MsgType;

RawFrame command_check() {
    RawFrame r(MsgType::CommandCheckRequest);
    r.str(FieldTag::User, "deploy")
        .str(FieldTag::Service, "sudo")
        .str(FieldTag::Command, "/usr/bin/systemctl")
        .str(FieldTag::Arg, "restart")
        .str(FieldTag::Arg, "web.service")
        .str(FieldTag::RunasUser, "root");
    return r;
}

TEST(CommandCheckWire, MinimalRequestIsAccepted) {
    expect_accepted(command_check().frame());
}

TEST(CommandCheckWire, EveryOptionalFieldIsAccepted) {
    auto r = command_check();
    r.str(FieldTag::RunasGroup, "adm")
        .str(FieldTag::Cwd, "/srv")
        .str(FieldTag::Tty, "/dev/pts/1")
        .str(FieldTag::EnvSet, "FOO")
        .boolean(FieldTag::PreserveEnv, 1)
        .boolean(FieldTag::ShellMode, 0)
        .boolean(FieldTag::Sudoedit, 1);
    expect_accepted(r.frame());
}

TEST(CommandCheckWire, RelativeOrEmptyCommandIsRejected) {
    for (const char* cmd : {"systemctl", "", "./systemctl", "bin/true"}) {
        RawFrame r(MsgType::CommandCheckRequest);
        r.str(FieldTag::User, "deploy")
            .str(FieldTag::Service, "sudo")
            .str(FieldTag::Command, cmd)
            .str(FieldTag::RunasUser, "root");
        expect_rejected(r.frame(), EPROTO, "absolute path");
    }
}

TEST(CommandCheckWire, RequiredFieldsAreRequired) {
    RawFrame no_runas(MsgType::CommandCheckRequest);
    no_runas.str(FieldTag::User, "deploy")
        .str(FieldTag::Service, "sudo")
        .str(FieldTag::Command, "/bin/true");
    expect_rejected(no_runas.frame(), EPROTO, "required field missing");
    RawFrame no_command(MsgType::CommandCheckRequest);
    no_command.str(FieldTag::User, "deploy")
        .str(FieldTag::Service, "sudo")
        .str(FieldTag::RunasUser, "root");
    expect_rejected(no_command.frame(), EPROTO, "required field missing");
}

TEST(CommandCheckWire, LimitsAndForeignFieldsAreEnforced) {
    auto many = command_check();
    for (uint32_t i = 0; i < proto::kMaxArgs; ++i) many.str(FieldTag::Arg, "x");
    expect_rejected(many.frame(), EPROTO, "repeated");
    expect_mutation_rejected(
        command_check(), [](RawFrame& r) { r.str(FieldTag::Rhost, "h"); }, EPROTO, "not allowed");
    expect_mutation_rejected(
        command_check(), [](RawFrame& r) { r.str(FieldTag::Command, "/bin/sh"); }, EPROTO,
        "repeated");
    expect_mutation_rejected(
        command_check(), [](RawFrame& r) { r.str(FieldTag::PreserveEnv, "yes"); }, EPROTO, "kind");
}

TEST(CommandCheckMessage, RoundTripsEveryField) {
    msg::CommandCheckRequest m;
    m.user = "deploy";
    m.service = "sudo";
    m.command = "/usr/bin/journalctl";
    m.args = {"-u", "web.service", "", "a b; c"};
    m.runas_user = "postgres";
    m.runas_group = "adm";
    m.cwd = "/var/tmp";
    m.tty = "/dev/pts/2";
    m.env_set = {"FOO", "BAR"};
    m.preserve_env = m.shell_mode = m.sudoedit = true;
    auto frame = msg::encode(m, 42);
    ASSERT_TRUE(frame) << frame.error().what;
    auto v = wire::decode_frame(frame->data(), frame->size());
    ASSERT_TRUE(v) << v.error().what;
    auto back = msg::decode_command_check_request(*v);
    EXPECT_EQ(back.user, m.user);
    EXPECT_EQ(back.command, m.command);
    EXPECT_EQ(back.args, m.args);
    EXPECT_EQ(back.runas_user, m.runas_user);
    EXPECT_EQ(back.runas_group, m.runas_group);
    EXPECT_EQ(back.cwd, m.cwd);
    EXPECT_EQ(back.tty, m.tty);
    EXPECT_EQ(back.env_set, m.env_set);
    EXPECT_TRUE(back.preserve_env && back.shell_mode && back.sudoedit);
}

TEST(CommandCheckMessage, EncoderRefusesWhatTheDecoderWould) {
    msg::CommandCheckRequest m;
    m.user = "deploy";
    m.service = "sudo";
    m.command = "systemctl";
    m.runas_user = "root";
    EXPECT_FALSE(msg::encode(m, 1));
}

RawFrame command_exit() {
    RawFrame r(MsgType::CommandExitRequest);
    r.str(FieldTag::User, "deploy")
        .str(FieldTag::Service, "sudo")
        .str(FieldTag::Command, "/usr/bin/false")
        .str(FieldTag::RunasUser, "root")
        .str(FieldTag::GrantId, "g-7kq2m9ab");
    return r;
}

TEST(CommandExitWire, ExactlyOneEndingIsAccepted) {
    expect_accepted(command_exit().u64(FieldTag::ExitStatus, 1).frame());
    expect_accepted(
        command_exit().u64(FieldTag::ExitSignal, 9).boolean(FieldTag::CoreDumped, 1).frame());
    expect_accepted(command_exit().u64(FieldTag::ExecError, ENOENT).frame());
    expect_rejected(command_exit().frame(), EPROTO, "one exit status");
    expect_rejected(
        command_exit().u64(FieldTag::ExitStatus, 0).u64(FieldTag::ExitSignal, 15).frame(), EPROTO,
        "one exit status");
    expect_rejected(
        command_exit().u64(FieldTag::ExitStatus, 0).boolean(FieldTag::CoreDumped, 1).frame(),
        EPROTO, "core dump");
}

TEST(CommandExitWire, GrantIdAndAbsoluteCommandAreRequired) {
    RawFrame no_grant(MsgType::CommandExitRequest);
    no_grant.str(FieldTag::User, "deploy")
        .str(FieldTag::Service, "sudo")
        .str(FieldTag::Command, "/usr/bin/false")
        .str(FieldTag::RunasUser, "root")
        .u64(FieldTag::ExitStatus, 1);
    expect_rejected(no_grant.frame(), EPROTO, "required field missing");
    RawFrame relative(MsgType::CommandExitRequest);
    relative.str(FieldTag::User, "deploy")
        .str(FieldTag::Service, "sudo")
        .str(FieldTag::Command, "false")
        .str(FieldTag::RunasUser, "root")
        .str(FieldTag::GrantId, "g-7kq2m9ab")
        .u64(FieldTag::ExitStatus, 1);
    expect_rejected(relative.frame(), EPROTO, "absolute path");
}

TEST(CommandExitMessage, RoundTripsEveryField) {
    msg::CommandExitRequest m;
    m.user = "deploy";
    m.service = "sudo";
    m.command = "/usr/bin/sh";
    m.args = {"-c", "kill -TERM $$"};
    m.runas_user = "postgres";
    m.runas_group = "adm";
    m.grant_id = "g-7kq2m9ab";
    m.exit_signal = 15;
    m.core_dumped = true;
    auto frame = msg::encode(m, 7);
    ASSERT_TRUE(frame) << frame.error().what;
    auto v = wire::decode_frame(frame->data(), frame->size());
    ASSERT_TRUE(v) << v.error().what;
    auto back = msg::decode_command_exit_request(*v);
    EXPECT_EQ(back.args, m.args);
    EXPECT_EQ(back.runas_group, m.runas_group);
    EXPECT_EQ(back.grant_id, m.grant_id);
    EXPECT_EQ(back.exit_signal, m.exit_signal);
    EXPECT_TRUE(back.core_dumped);
    EXPECT_FALSE(back.exit_status.has_value());
    EXPECT_FALSE(back.exec_error.has_value());
    auto reply = msg::encode_command_exit_reply(7);
    ASSERT_TRUE(reply) << reply.error().what;
    EXPECT_TRUE(wire::decode_frame(reply->data(), reply->size()));
}

}  // namespace
}  // namespace jit::test
