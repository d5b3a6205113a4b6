// Command scopes: patterns parse only as absolute, normal paths; a command
// matches on the resolved path exactly and argument by argument, anchored,
// never by substring; runas, shells, sudoedit and environment changes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "daemon/policy/command_scope.h"

namespace jit::daemon {
namespace {

CommandAsk cmd(std::string path, std::vector<std::string> args, std::string runas = "root") {
    CommandAsk c;
    c.user = "deploy";
    c.service = "sudo";
    c.command = std::move(path);
    c.args = std::move(args);
    c.runas_user = std::move(runas);
    return c;
}

const std::vector<std::string> kWeb = {"/usr/bin/systemctl restart web.service",
                                       "/usr/bin/journalctl -u web.service --since *"};

TEST(CommandPattern, ParsesWordsAndNormalisesSpacing) {
    auto p = parse_command_pattern("  /usr/bin/systemctl   restart\tweb.service ");
    ASSERT_TRUE(p) << p.error();
    EXPECT_EQ(p->path, "/usr/bin/systemctl");
    EXPECT_EQ(p->args, (std::vector<std::string>{"restart", "web.service"}));
    EXPECT_EQ(p->text, "/usr/bin/systemctl restart web.service");
}

TEST(CommandPattern, RefusesPathsThatAreNotAbsoluteAndNormal) {
    for (const char* bad :
         {"systemctl restart", "./systemctl", "/usr/bin/../bin/systemctl", "/usr//bin/systemctl",
          "/usr/bin/./systemctl", "/usr/bin/*", "/usr/bin/", "", "   ", "/bin/echo \x1b[2J"}) {
        EXPECT_FALSE(parse_command_pattern(bad)) << bad;
    }
}

TEST(CommandMatch, WordGlobIsAnchoredAndStaysInsideOneWord) {
    EXPECT_TRUE(word_matches("web.service", "web.service"));
    EXPECT_FALSE(word_matches("web.service", "web.service2"));
    EXPECT_FALSE(word_matches("web.service", "xweb.service"));
    EXPECT_FALSE(word_matches("web", "web.service"));  // never a substring
    EXPECT_TRUE(word_matches("*", ""));
    EXPECT_TRUE(word_matches("*", "anything at all"));
    EXPECT_TRUE(word_matches("web-*.service", "web-2.service"));
    EXPECT_FALSE(word_matches("web-*.service", "web-2.service.d"));
    EXPECT_TRUE(word_matches("a*b*c", "aXbYc"));
    EXPECT_FALSE(word_matches("a*b*c", "aXbY"));
}

TEST(CommandMatch, ExactPathAndArgumentCount) {
    auto p = *parse_command_pattern("/usr/bin/systemctl restart web.service");
    EXPECT_TRUE(pattern_matches(p, "/usr/bin/systemctl", {"restart", "web.service"}));
    EXPECT_FALSE(pattern_matches(p, "/usr/bin/systemctl", {"restart", "web.service", "db"}));
    EXPECT_FALSE(pattern_matches(p, "/usr/bin/systemctl", {"restart"}));
    EXPECT_FALSE(pattern_matches(p, "/bin/systemctl", {"restart", "web.service"}));
    EXPECT_FALSE(pattern_matches(p, "/usr/bin/../bin/systemctl", {"restart", "web.service"}));
    EXPECT_FALSE(pattern_matches(p, "/home/deploy/bin/systemctl", {"restart", "web.service"}));
    EXPECT_FALSE(pattern_matches(p, "/usr/bin/systemctl", {"restart web.service"}));
}

TEST(CommandJudge, GrantedCommandsAllowOthersDoNot) {
    auto ok = judge_command(kWeb, {}, cmd("/usr/bin/systemctl", {"restart", "web.service"}));
    EXPECT_TRUE(ok.allow);
    EXPECT_EQ(ok.pattern, "/usr/bin/systemctl restart web.service");
    auto since = judge_command(kWeb, {},
                               cmd("/usr/bin/journalctl", {"-u", "web.service", "--since", "-1h"}));
    EXPECT_TRUE(since.allow);
    EXPECT_EQ(since.pattern, kWeb[1]);

    auto stop = judge_command(kWeb, {}, cmd("/usr/bin/systemctl", {"stop", "web.service"}));
    EXPECT_FALSE(stop.allow);
    EXPECT_NE(stop.why.find("arguments match no pattern"), std::string::npos);
    auto other = judge_command(kWeb, {}, cmd("/usr/bin/rm", {"-rf", "/"}));
    EXPECT_FALSE(other.allow);
    EXPECT_NE(other.why.find("not among the granted commands"), std::string::npos);
    // Shell metacharacters are ordinary characters of one argument.
    EXPECT_FALSE(
        judge_command(kWeb, {}, cmd("/usr/bin/systemctl", {"restart", "web.service;id"})).allow);
}

TEST(CommandJudge, RunasIsRootUnlessTheScopeSaysOtherwise) {
    auto c = cmd("/usr/bin/systemctl", {"restart", "web.service"}, "postgres");
    EXPECT_FALSE(judge_command(kWeb, {}, c).allow);
    EXPECT_NE(judge_command(kWeb, {}, c).why.find("may not run as postgres"), std::string::npos);
    EXPECT_TRUE(judge_command(kWeb, {"postgres"}, c).allow);
    EXPECT_FALSE(judge_command(kWeb, {"postgres"}, cmd(c.command, c.args, "root")).allow);
    c.runas_group = "adm";
    EXPECT_FALSE(judge_command(kWeb, {"postgres"}, c).allow);  // -g needs user:group
    EXPECT_TRUE(judge_command(kWeb, {"postgres:adm"}, c).allow);
}

TEST(CommandJudge, ShellsEditsAndEnvironmentChangesAreRefused) {
    std::vector<std::string> shells = {"/bin/bash -c *", "/usr/bin/systemctl restart web.service"};
    auto s = cmd("/bin/bash", {"-c", "systemctl restart web.service"});
    s.shell_mode = true;
    EXPECT_FALSE(judge_command(shells, {}, s).allow);
    auto e = cmd("/usr/bin/systemctl", {"restart", "web.service"});
    e.preserve_env = true;
    EXPECT_FALSE(judge_command(kWeb, {}, e).allow);
    e.preserve_env = false;
    e.env_set = {"SYSTEMD_PAGER"};
    auto v = judge_command(kWeb, {}, e);
    EXPECT_FALSE(v.allow);
    EXPECT_NE(v.why.find("SYSTEMD_PAGER"), std::string::npos);
    auto edit = cmd("/usr/bin/vi", {"--", "/etc/web.conf"});
    edit.sudoedit = true;
    EXPECT_FALSE(judge_command({"/usr/bin/vi -- /etc/web.conf"}, {}, edit).allow);
}

TEST(CommandLine, BoundedEscapedAndUnambiguous) {
    auto c = cmd("/usr/bin/echo", {"a b", "", "it's", "\x1b[31mred"});
    std::string line = command_line(c);
    EXPECT_EQ(line.find('\x1b'), std::string::npos);
    EXPECT_NE(line.find("'a b'"), std::string::npos);
    EXPECT_NE(line.find("''"), std::string::npos);
    auto big = cmd("/usr/bin/echo", std::vector<std::string>(200, std::string(100, 'x')));
    EXPECT_LE(command_line(big, 1024).size(), 1024u + 3);
}

TEST(Runas, EntriesAreAccountNamesWithAnOptionalGroup) {
    EXPECT_EQ(runas_problem("root"), "");
    EXPECT_EQ(runas_problem("postgres:adm"), "");
    EXPECT_NE(runas_problem(""), "");
    EXPECT_NE(runas_problem("root:"), "");
    EXPECT_NE(runas_problem("Root Admin"), "");
    EXPECT_NE(runas_problem("0"), "");
}

}  // namespace
}  // namespace jit::daemon
