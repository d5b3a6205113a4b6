// Command scopes for sudo: which commands a grant lets an account run, and
// as whom (jit-policy(5), COMMANDS).  Pure logic over what jit_sudo.so sends:
// the absolute path sudo resolved and will execute, and argv[1..].
//
// A pattern is words separated by spaces.  The first word is an absolute,
// normal path (no ".", "..", "//" or "*") that must equal the resolved path
// exactly: a symbolic link, a relative path or a path through ".." is a
// different string and matches nothing.  Each further word matches exactly
// one argument: literally, or, where it has '*', with '*' standing for any
// run of characters inside that one argument (anchored at both ends, never
// across words).  The number of arguments must equal the number of words.
// Nothing is interpreted as a shell would: there is no shell.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/model/command.h"
#include "jit/result.h"

namespace jit::daemon {

struct CommandPattern {
    std::string text;  // as written, words single-spaced
    std::string path;
    std::vector<std::string> args;
};

// Parses and validates one pattern; the error says what is wrong with it.
Result<CommandPattern, std::string> parse_command_pattern(std::string_view text);
// What is wrong with a runas entry ("user" or "user:group"); "" when nothing.
std::string runas_problem(std::string_view text);

// Whether one argument matches one pattern word.
bool word_matches(std::string_view pattern, std::string_view arg);
bool pattern_matches(const CommandPattern& p, std::string_view path,
                     const std::vector<std::string>& args);

// The answer for one command against one grant's scope.
struct ScopeVerdict {
    bool allow = false;
    std::string pattern;  // the pattern that matched
    std::string why;      // why not, when not
};

// patterns and runas as stored with a grant (patterns re-parsed here);
// empty runas means root only.
ScopeVerdict judge_command(const std::vector<std::string>& patterns,
                           const std::vector<std::string>& runas, const CommandAsk& cmd);

// The command line as one bounded, escaped line for the journal and jitctl.
std::string command_line(const CommandAsk& cmd, size_t limit = 1024);

}  // namespace jit::daemon
