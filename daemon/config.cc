// jitd.conf reader.  inih does the INI syntax; everything it cannot tell us
// (line numbers, over-long lines, empty unknown sections) is found by our own
// line reader, which feeds inih exactly one physical line per call so that its
// line count and ours never disagree.
//
// Continuation lines (inih's Python-style multi-line values) are rejected: we
// switch the feature off, so an indented line that is not "key = value" is a
// syntax error.  A value spread over lines is easy to break by re-indenting
// and buys nothing for short lists; a long list can stay on one line (lines
// may be up to kMaxLineBytes long).
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <mutex>
#include <optional>
#include <set>
#include <string_view>

#include "config_nss.h"
#include "ids.h"
#include "jit/timefmt.h"
#include "jit/unique_fd.h"

namespace jit::daemon {

namespace {

// Longest line content (without the line terminator) we accept.
constexpr size_t kMaxLineBytes = 4096;
// A configuration file is a few hundred bytes; anything huge is a mistake.
constexpr off_t kMaxFileBytes = 1 << 20;
constexpr uint64_t kMaxClientTimeoutSeconds = 300;
// (uid_t)-1 means "no uid" to setresuid() and friends, so it is never an account.
constexpr uint64_t kMaxUid = 0xfffffffeull;

using Check = Result<void, std::string>;

Check fail(std::string message) {
    return Check(std::move(message));
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

std::string errno_text(int err) {
    char buf[256];
    return strerror_r(err, buf, sizeof buf);  // GNU variant: returns the text
}

// ---- values ----

Check check_path(std::string_view path) {
    if (path.empty() || path[0] != '/') return fail("must be an absolute path");
    for (char c : path)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            return fail("control character in path");
    // "." and ".." components make the path mean something other than what it
    // looks like; a root daemon should not be guessing.
    size_t pos = 0;
    while (pos <= path.size()) {
        size_t end = path.find('/', pos);
        if (end == std::string_view::npos) end = path.size();
        std::string_view part = path.substr(pos, end - pos);
        if (part == "." || part == "..") return fail("path must not contain . or .. components");
        pos = end + 1;
    }
    return Check();
}

Check set_socket(Config& c, std::string_view v) {
    Check ok = check_path(v);
    if (!ok) return ok;
    if (v.size() >= sizeof(sockaddr_un::sun_path)) return fail("socket path longer than 107 bytes");
    c.socket_path = v;
    return Check();
}

Check set_state_dir(Config& c, std::string_view v) {
    Check ok = check_path(v);
    if (!ok) return ok;
    c.state_dir = v;
    return Check();
}

Check set_admin_group(Config& c, std::string_view v) {
    if (!valid_user_name(v)) return fail("invalid group name '" + std::string(v) + "'");
    c.admin_group = v;
    return Check();
}

Check set_max_grant(Config& c, std::string_view v) {
    Result<uint64_t> d = parse_duration(v);
    if (!d) return fail(d.error().what);
    c.max_grant_seconds = *d;
    return Check();
}

Check set_client_timeout(Config& c, std::string_view v) {
    Result<uint64_t> d = parse_duration(v);
    if (!d) return fail(d.error().what);
    // A client that needs minutes is stuck; a long deadline only lets it pin a
    // daemon worker.
    if (*d > kMaxClientTimeoutSeconds) return fail("client_timeout must be at most 5m");
    c.client_timeout_ms = static_cast<int>(*d * 1000);
    return Check();
}

Check set_warn_before(Config& c, std::string_view v) {
    if (v == "0" || v == "off") {
        c.warn_before_seconds = 0;
        return Check();
    }
    Result<uint64_t> d = parse_duration(v);
    if (!d) return fail(d.error().what);
    if (*d > 86400) return fail("warn_before must be at most 1d");
    c.warn_before_seconds = *d;
    return Check();
}

Check set_kill_grace(Config& c, std::string_view v) {
    Result<uint64_t> d = parse_duration(v);
    if (!d) return fail(d.error().what);
    // A session that ignores SIGTERM must not outlive its grant by long.
    if (*d < 1 || *d > 60) return fail("kill_grace must be between 1s and 1m");
    c.kill_grace_seconds = *d;
    return Check();
}

// "a, b c" -> {"a", "b", "c"}.  Items are separated by commas and/or blanks;
// an empty item (",," or a leading/trailing comma) is an error, since it is
// usually a name that was deleted by mistake.
Result<std::vector<std::string_view>, std::string> split_list(std::string_view v) {
    std::vector<std::string_view> items;
    size_t pos = 0;
    bool need_item = true;  // at start, or right after a comma
    while (pos < v.size()) {
        if (is_space(v[pos])) {
            ++pos;
        } else if (v[pos] == ',') {
            if (need_item) return std::string("empty entry in list");
            need_item = true;
            ++pos;
        } else {
            size_t end = pos;
            while (end < v.size() && v[end] != ',' && !is_space(v[end])) ++end;
            items.push_back(v.substr(pos, end - pos));
            need_item = false;
            pos = end;
        }
    }
    if (need_item) return std::string("empty entry in list");
    return items;
}

Check set_names(std::vector<std::string>& out, std::string_view v, const char* kind) {
    auto items = split_list(v);
    if (!items) return fail(items.error());
    for (std::string_view name : *items) {
        if (!valid_user_name(name))
            return fail("invalid " + std::string(kind) + " name '" + std::string(name) + "'");
        // Managing root would let a daemon outage lock out the host.
        if (name == "root") return fail("root cannot be managed");
        out.emplace_back(name);
    }
    return Check();
}

Check set_users(Config& c, std::string_view v) {
    return set_names(c.managed_users, v, "user");
}
Check set_groups(Config& c, std::string_view v) {
    return set_names(c.managed_groups, v, "group");
}

Result<uid_t, std::string> parse_uid(std::string_view s) {
    if (s.empty()) return std::string("uid range needs a number on both sides of '-'");
    uint64_t n = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return "'" + std::string(s) + "' is not a uid";
        n = n * 10 + uint64_t(c - '0');
        if (n > kMaxUid) return "uid " + std::string(s) + " is too large";
    }
    return static_cast<uid_t>(n);
}

Result<UidRange, std::string> parse_uid_range(std::string_view item) {
    size_t dash = item.find('-');
    std::string_view first = item.substr(0, dash);
    std::string_view last = dash == std::string_view::npos ? first : item.substr(dash + 1);
    auto lo = parse_uid(first);
    if (!lo) return lo.error();
    auto hi = parse_uid(last);
    if (!hi) return hi.error();
    if (*lo > *hi) return "uid range " + std::string(item) + " is reversed";
    if (*lo == 0) return std::string("uid 0 (root) cannot be managed");
    return UidRange{*lo, *hi};
}

Check set_uids(Config& c, std::string_view v) {
    auto items = split_list(v);
    if (!items) return fail(items.error());
    for (std::string_view item : *items) {
        auto range = parse_uid_range(item);
        if (!range) return fail(range.error());
        c.managed_uids.push_back(*range);
    }
    return Check();
}

Check set_policy_dir(Config& c, std::string_view v) {
    Check ok = check_path(v);
    if (!ok) return ok;
    c.policy_dir = v;
    return Check();
}

Check set_notify_command(Config& c, std::string_view v) {
    Check ok = check_path(v);
    if (!ok) return ok;
    for (char ch : v)
        if (ch == ' ' || ch == '\t')
            return fail("a path, run directly without a shell: no arguments (use a script)");
    c.notify_command = v;
    return Check();
}

Check set_notify_timeout(Config& c, std::string_view v) {
    Result<uint64_t> d = parse_duration(v);
    if (!d) return fail(d.error().what);
    if (*d > kMaxClientTimeoutSeconds) return fail("notify_timeout must be at most 5m");
    c.notify_timeout_ms = static_cast<int>(*d * 1000);
    return Check();
}

Check set_notify_before(Config& c, std::string_view v) {
    Result<uint64_t> d = parse_duration(v);
    if (!d) return fail(d.error().what);
    c.notify_before_seconds = *d;
    return Check();
}

struct KeySpec {
    const char* section;
    const char* key;
    Check (*apply)(Config&, std::string_view);
};

constexpr KeySpec kKeys[] = {
    {"jitd", "socket", set_socket},
    {"jitd", "state_dir", set_state_dir},
    {"jitd", "admin_group", set_admin_group},
    {"jitd", "max_grant", set_max_grant},
    {"jitd", "client_timeout", set_client_timeout},
    {"sessions", "warn_before", set_warn_before},
    {"sessions", "kill_grace", set_kill_grace},
    {"jitd", "policy_dir", set_policy_dir},
    {"jitd", "notify_command", set_notify_command},
    {"jitd", "notify_timeout", set_notify_timeout},
    {"jitd", "notify_before", set_notify_before},
    {"managed", "users", set_users},
    {"managed", "groups", set_groups},
    {"managed", "uids", set_uids},
    {"nss", "snapshot", set_nss_snapshot},
    {"nss", "uid_range", set_nss_uid_range},
    {"nss", "gid_range", set_nss_gid_range},
    {"nss", "groups", set_nss_groups},
};

bool known_section(std::string_view name) {
    for (const KeySpec& k : kKeys)
        if (name == k.section) return true;
    return !account_section_name(name).empty();
}

// ---- parsing ----

struct ParseState {
    std::string_view text;
    size_t pos = 0;
    int line = 0;  // the line inih is working on
    const std::string* file = nullptr;
    Config config;
    std::set<std::string> seen;  // "section\nkey"
    std::optional<ConfigError> error;

    void fail_at(std::string key, std::string message) {
        if (!error) error = ConfigError{*file, line, std::move(key), std::move(message)};
    }
};

// inih reports an empty section only if it was built to call the handler on
// section headers (Debian's is not), so headers are checked here.  Mirrors
// inih: the name runs from '[' to the first ']' that is not after an inline
// comment; anything else is left for inih to call a syntax error.
void check_section_header(ParseState& st, std::string_view content) {
    if (st.line == 1 && content.substr(0, 3) == "\xEF\xBB\xBF") content.remove_prefix(3);
    while (!content.empty() && is_space(content.front())) content.remove_prefix(1);
    if (content.empty() || content.front() != '[') return;
    for (size_t i = 1; i < content.size(); ++i) {
        if (content[i] == ';' && is_space(content[i - 1])) return;
        if (content[i] == ']') {
            std::string_view name = content.substr(1, i - 1);
            if (!known_section(name)) st.fail_at("", "unknown section [" + std::string(name) + "]");
            std::string_view account = account_section_name(name);
            if (!account.empty())
                if (Check ok = declare_account(st.config, account); !ok) st.fail_at("", ok.error());
            return;
        }
    }
}

// fgets-style reader for ini_parse_stream: one whole line per call, or stop.
char* read_line(char* buf, int size, void* stream) {
    auto& st = *static_cast<ParseState*>(stream);
    if (st.error || st.pos >= st.text.size()) return nullptr;
    size_t nl = st.text.find('\n', st.pos);
    size_t next = nl == std::string_view::npos ? st.text.size() : nl + 1;
    std::string_view line = st.text.substr(st.pos, next - st.pos);
    st.pos = next;
    ++st.line;
    std::string_view content = line;
    if (!content.empty() && content.back() == '\n') content.remove_suffix(1);
    if (!content.empty() && content.back() == '\r') content.remove_suffix(1);
    // The second test guards against a library that ignored ini_max_line: a
    // line must never be cut short and half of it parsed.
    if (content.size() > kMaxLineBytes || line.size() + 1 > size_t(size)) {
        st.fail_at("", "line longer than " + std::to_string(kMaxLineBytes) + " bytes");
        return nullptr;
    }
    if (memchr(line.data(), '\0', line.size())) {
        st.fail_at("", "NUL byte in line");
        return nullptr;
    }
    check_section_header(st, content);
    if (st.error) return nullptr;
    memcpy(buf, line.data(), line.size());
    buf[line.size()] = '\0';
    return buf;
}

// A key of an [account NAME] section: same duplicate and empty-value rules.
int on_account_key(ParseState& st, const char* section, std::string_view account, const char* name,
                   const char* value) {
    if (!st.seen.insert(std::string(section) + "\n" + name).second) {
        st.fail_at(name, "key given twice in [" + std::string(section) + "]");
        return 0;
    }
    if (value == nullptr || *value == '\0') {
        st.fail_at(name, "empty value (leave the key out to get the default)");
        return 0;
    }
    Check ok = set_account_key(st.config, account, name, value);
    if (!ok) {
        st.fail_at(name, ok.error());
        return 0;
    }
    return 1;
}

int on_key(void* user, const char* section, const char* name, const char* value) {
    auto& st = *static_cast<ParseState*>(user);
    if (*section == '\0') {
        st.fail_at(name, "key outside a section");
        return 0;
    }
    const KeySpec* spec = nullptr;
    for (const KeySpec& k : kKeys)
        if (strcmp(section, k.section) == 0 && strcmp(name, k.key) == 0) spec = &k;
    std::string_view account = account_section_name(section);
    if (!spec && !account.empty()) return on_account_key(st, section, account, name, value);
    if (!spec) {
        st.fail_at(name, "unknown key in [" + std::string(section) + "]");
        return 0;
    }
    if (!st.seen.insert(std::string(section) + "\n" + name).second) {
        st.fail_at(name, "key given twice in [" + std::string(section) + "]");
        return 0;
    }
    if (value == nullptr || *value == '\0') {
        st.fail_at(name, "empty value (leave the key out to get the default)");
        return 0;
    }
    Check ok = spec->apply(st.config, value);
    if (!ok) {
        st.fail_at(name, ok.error());
        return 0;
    }
    return 1;
}

// inih's behaviour is set by process-wide variables (Debian builds it that
// way).  Pin every one that changes the meaning of a file for the duration of
// one parse, and serialise parses so two cannot interleave.
class InihSettings {
public:
    InihSettings()
        : lock_(mutex()),
          max_line_(ini_max_line),
          multiline_(ini_allow_multiline),
          stop_(ini_stop_on_first_error),
          inline_(ini_allow_inline_comments),
          inline_prefixes_(ini_inline_comment_prefixes),
          start_prefixes_(ini_start_comment_prefixes),
          bom_(ini_allow_bom),
          no_value_(ini_allow_no_value),
          use_stack_(ini_use_stack) {
        ini_max_line = int(kMaxLineBytes) + 3;  // room for "\r\n" and the NUL
        ini_allow_multiline = false;
        ini_stop_on_first_error = true;
        ini_allow_inline_comments = true;
        ini_inline_comment_prefixes = const_cast<char*>(";");
        ini_start_comment_prefixes = const_cast<char*>(";#");
        ini_allow_bom = true;
        ini_allow_no_value = false;
        ini_use_stack = true;  // a fixed buffer: inih never stitches lines together
    }
    ~InihSettings() {
        ini_max_line = max_line_;
        ini_allow_multiline = multiline_;
        ini_stop_on_first_error = stop_;
        ini_allow_inline_comments = inline_;
        ini_inline_comment_prefixes = inline_prefixes_;
        ini_start_comment_prefixes = start_prefixes_;
        ini_allow_bom = bom_;
        ini_allow_no_value = no_value_;
        ini_use_stack = use_stack_;
    }
    InihSettings(const InihSettings&) = delete;
    InihSettings& operator=(const InihSettings&) = delete;

private:
    static std::mutex& mutex() {
        static std::mutex m;
        return m;
    }
    std::lock_guard<std::mutex> lock_;
    int max_line_;
    bool multiline_, stop_, inline_;
    char* inline_prefixes_;
    char* start_prefixes_;
    bool bom_, no_value_, use_stack_;
};

Result<std::string, ConfigError> read_file(const std::string& path) {
    auto error = [&](std::string message) { return ConfigError{path, 0, "", std::move(message)}; };
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!fd.valid()) return error(errno_text(errno));
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return error(errno_text(errno));
    if (!S_ISREG(st.st_mode)) return error("not a regular file");
    if (st.st_size > kMaxFileBytes) return error("file larger than 1 MiB");
    std::string text;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return error(errno_text(errno));
        if (n == 0) break;
        text.append(buf, size_t(n));
        if (text.size() > size_t(kMaxFileBytes)) return error("file larger than 1 MiB");
    }
    return text;
}

}  // namespace

Result<std::vector<std::string_view>, std::string> config_list(std::string_view v) {
    return split_list(v);
}
Result<UidRange, std::string> config_id_range(std::string_view v) {
    return parse_uid_range(v);
}
ConfigCheck config_path(std::string_view v) {
    return check_path(v);
}

std::string ConfigError::to_string() const {
    std::string out = file;
    if (line > 0) out += ":" + std::to_string(line);
    out += ": ";
    if (!key.empty()) out += key + ": ";
    return out + message;
}

Result<Config, ConfigError> parse_config(const std::string& text, const std::string& name) {
    ParseState st;
    st.text = text;
    st.file = &name;
    int rc;
    {
        InihSettings pinned;
        rc = ini_parse_stream(read_line, &st, on_key, &st);
    }
    // inih returns the line of its first error, ours included; a smaller line
    // than the one we recorded (or none recorded) is a syntax error.
    if (rc > 0 && (!st.error || rc < st.error->line))
        return ConfigError{name, rc, "", "syntax error"};
    if (st.error) return *st.error;
    if (rc < 0) return ConfigError{name, 0, "", "INI parser failed"};
    if (auto ok = check_nss_config(st.config); !ok) return ConfigError{name, 0, "", ok.error()};
    return std::move(st.config);
}

Result<Config, ConfigError> load_config(const std::string& path) {
    auto text = read_file(path);
    if (!text) return text.error();
    return parse_config(*text, path);
}

}  // namespace jit::daemon
