#include "daemon/policy/command_scope.h"

#include "jit/escape.h"
#include "jit/values.h"

namespace jit::daemon {

namespace {

std::vector<std::string_view> split_words(std::string_view s) {
    std::vector<std::string_view> words;
    size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
        size_t start = i;
        while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
        if (i > start) words.push_back(s.substr(start, i - start));
    }
    return words;
}

// Tabs separate words like spaces; every other control character is refused.
bool has_control(std::string_view s) {
    for (unsigned char c : s)
        if ((c < 0x20 && c != '\t') || c == 0x7f) return true;
    return false;
}

// Absolute and normal: what sudo reports for a command found on its path.
const char* path_problem(std::string_view p) {
    if (p.empty() || p[0] != '/') return "the command must be an absolute path";
    if (p.find('*') != std::string_view::npos) return "no '*' in the command path";
    if (p.size() > 1 && p.back() == '/') return "the command path names a directory";
    for (size_t i = 0; i < p.size();) {
        size_t next = p.find('/', i + 1);
        std::string_view part =
            p.substr(i + 1, (next == std::string_view::npos ? p.size() : next) - i - 1);
        if (part.empty() || part == "." || part == "..")
            return "the command path must be normal (no '//', '.' or '..')";
        if (next == std::string_view::npos) break;
        i = next;
    }
    return nullptr;
}

bool valid_name(std::string_view s) {
    if (s.empty() || s.size() > 32) return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
            return false;
    return !(s[0] >= '0' && s[0] <= '9') && s[0] != '-';
}

}  // namespace

Result<CommandPattern, std::string> parse_command_pattern(std::string_view text) {
    if (has_control(text)) return std::string("control characters in a command pattern");
    auto words = split_words(text);
    if (words.empty()) return std::string("an empty command pattern");
    if (words.size() - 1 > proto::kMaxArgs) return std::string("too many words");
    if (const char* bad = path_problem(words[0])) return std::string(bad);
    CommandPattern p;
    p.path = words[0];
    p.text = p.path;
    for (size_t i = 1; i < words.size(); ++i) {
        p.args.emplace_back(words[i]);
        p.text += " " + p.args.back();
    }
    if (p.text.size() > proto::kMaxString) return std::string("pattern too long");
    return p;
}

std::string runas_problem(std::string_view text) {
    size_t colon = text.find(':');
    std::string_view user = text.substr(0, colon);
    if (!valid_name(user)) return "not an account name: " + escape_text(text);
    if (colon != std::string_view::npos && !valid_name(text.substr(colon + 1)))
        return "not a group name: " + escape_text(text);
    return {};
}

// Anchored glob with '*' only, iterative with one backtrack point: linear
// enough for arguments bounded by the protocol.
bool word_matches(std::string_view pat, std::string_view s) {
    size_t p = 0, i = 0, star = std::string_view::npos, mark = 0;
    while (i < s.size()) {
        if (p < pat.size() && pat[p] == '*') {
            star = p++;
            mark = i;
        } else if (p < pat.size() && pat[p] == s[i]) {
            ++p;
            ++i;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            i = ++mark;
        } else {
            return false;
        }
    }
    while (p < pat.size() && pat[p] == '*') ++p;
    return p == pat.size();
}

bool pattern_matches(const CommandPattern& p, std::string_view path,
                     const std::vector<std::string>& args) {
    if (path != p.path || args.size() != p.args.size()) return false;
    for (size_t i = 0; i < args.size(); ++i)
        if (!word_matches(p.args[i], args[i])) return false;
    return true;
}

namespace {

bool runas_allowed(const std::vector<std::string>& runas, const CommandAsk& cmd) {
    if (runas.empty()) return cmd.runas_user == "root" && cmd.runas_group.empty();
    for (const auto& entry : runas) {
        size_t colon = entry.find(':');
        std::string user = entry.substr(0, colon);
        std::string group = colon == std::string::npos ? "" : entry.substr(colon + 1);
        if (user == cmd.runas_user && group == cmd.runas_group) return true;
    }
    return false;
}

}  // namespace

ScopeVerdict judge_command(const std::vector<std::string>& patterns,
                           const std::vector<std::string>& runas, const CommandAsk& cmd) {
    ScopeVerdict v;
    // What sudo would do beyond running the named program is refused
    // outright under a scope: the program would not be the one granted.
    if (cmd.shell_mode) return v.why = "sudo -s/-i runs a shell, not a granted command", v;
    if (cmd.sudoedit) return v.why = "sudoedit is not a granted command", v;
    if (cmd.preserve_env) return v.why = "sudo -E (keep the environment) is refused", v;
    if (!cmd.env_set.empty())
        return v.why = "setting variables on the sudo command line is refused (" +
                       cmd.env_set.front() + ")",
               v;
    if (!runas_allowed(runas, cmd)) {
        v.why = "may not run as " + cmd.runas_user +
                (cmd.runas_group.empty() ? "" : ":" + cmd.runas_group);
        return v;
    }
    bool path_known = false;
    for (const auto& text : patterns) {
        auto p = parse_command_pattern(text);
        if (!p) continue;  // validated when stored; a bad one matches nothing
        if (p->path == cmd.command) path_known = true;
        if (pattern_matches(*p, cmd.command, cmd.args)) {
            v.allow = true;
            v.pattern = p->text;
            return v;
        }
    }
    v.why = path_known ? "the arguments match no pattern for " + cmd.command
                       : cmd.command + " is not among the granted commands";
    return v;
}

namespace {

// For display only: an argument that is empty or holds a blank or quote is
// shown in single quotes, so "a b" and "a" "b" read differently.
std::string shown_word(const std::string& w) {
    if (!w.empty() && w.find_first_of(" \t'\"\\") == std::string::npos) return w;
    std::string out = "'";
    for (char c : w) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

}  // namespace

std::string command_line(const CommandAsk& cmd, size_t limit) {
    std::string line = cmd.command;
    for (const auto& a : cmd.args) {
        line += ' ';
        line += shown_word(a);
        if (line.size() > limit) break;
    }
    std::string out = escape_text(line);
    if (out.size() > limit) out = out.substr(0, limit) + "...";
    return out;
}

}  // namespace jit::daemon
