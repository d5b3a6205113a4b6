#include "daemon/config/ini_file.h"

#include <errno.h>
#include <ini.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mutex>
#include <string_view>

namespace jit::daemon {

namespace {

constexpr size_t kMaxLineBytes = 4096;
constexpr off_t kMaxFileBytes = 1 << 20;

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

// Separates list items: a control character stays in its item, where the
// item's own check rejects it, rather than quietly splitting a name.
bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

struct ParseState {
    std::string_view text;
    size_t pos = 0;
    int line = 0;
    const std::string* file = nullptr;
    IniHandler* handler = nullptr;
    std::optional<Failure> error;

    void fail_at(std::string key, std::string message) {
        if (!error) error = config_error(*file, line, std::move(key), std::move(message));
    }
    void take(std::optional<IniProblem> p) {
        if (p) fail_at(std::move(p->key), std::move(p->message));
    }
};

// Mirrors inih: the name runs from '[' to the first ']' that is not after an
// inline comment; anything else is left for inih to call a syntax error.
void check_section_header(ParseState& st, std::string_view content) {
    if (st.line == 1 && content.substr(0, 3) == "\xEF\xBB\xBF") content.remove_prefix(3);
    while (!content.empty() && is_space(content.front())) content.remove_prefix(1);
    if (content.empty() || content.front() != '[') return;
    for (size_t i = 1; i < content.size(); ++i) {
        if (content[i] == ';' && is_space(content[i - 1])) return;
        if (content[i] == ']') {
            st.take(st.handler->section(std::string(content.substr(1, i - 1)), st.line));
            return;
        }
    }
}

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

int on_key(void* user, const char* section, const char* name, const char* value) {
    auto& st = *static_cast<ParseState*>(user);
    st.take(st.handler->key(section, name, value ? value : "", st.line));
    return st.error ? 0 : 1;
}

// inih's options are process-wide variables in Debian's build; pin the ones
// that change a file's meaning for one parse, and serialise parses.
class PinnedInih {
public:
    PinnedInih()
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
        ini_max_line = int(kMaxLineBytes) + 3;
        ini_allow_multiline = false;
        ini_stop_on_first_error = true;
        ini_allow_inline_comments = true;
        ini_inline_comment_prefixes = const_cast<char*>(";");
        ini_start_comment_prefixes = const_cast<char*>(";#");
        ini_allow_bom = true;
        ini_allow_no_value = false;
        ini_use_stack = true;
    }
    ~PinnedInih() {
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
    PinnedInih(const PinnedInih&) = delete;
    PinnedInih& operator=(const PinnedInih&) = delete;

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

}  // namespace

Result<void, Failure> parse_ini(const std::string& text, const std::string& name,
                                IniHandler& handler) {
    ParseState st;
    st.text = text;
    st.file = &name;
    st.handler = &handler;
    int rc;
    {
        PinnedInih pinned;
        rc = ini_parse_stream(read_line, &st, on_key, &st);
    }
    if (rc > 0 && (!st.error || rc < st.error->place.line))
        return config_error(name, rc, "", "syntax error");
    if (st.error) return *st.error;
    if (rc < 0) return config_error(name, 0, "", "INI parser failed");
    return {};
}

Result<std::string, Failure> read_ini_file(int fd, const std::string& path) {
    auto error = [&](std::string message) { return config_error(path, 0, "", std::move(message)); };
    struct stat st;
    if (::fstat(fd, &st) != 0) return error(strerror(errno));
    if (!S_ISREG(st.st_mode)) return error("not a regular file");
    if (st.st_size > kMaxFileBytes) return error("file larger than 1 MiB");
    std::string text;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return error(strerror(errno));
        if (n == 0) break;
        text.append(buf, size_t(n));
        if (text.size() > size_t(kMaxFileBytes)) return error("file larger than 1 MiB");
    }
    return text;
}

Result<std::vector<std::string_view>, std::string> split_list(std::string_view v) {
    std::vector<std::string_view> items;
    size_t pos = 0;
    bool need_item = true;  // at start, or right after a comma
    while (pos < v.size()) {
        if (is_blank(v[pos])) {
            ++pos;
        } else if (v[pos] == ',') {
            if (need_item) return std::string("empty entry in list");
            need_item = true;
            ++pos;
        } else {
            size_t end = pos;
            while (end < v.size() && v[end] != ',' && !is_blank(v[end])) ++end;
            items.push_back(v.substr(pos, end - pos));
            need_item = false;
            pos = end;
        }
    }
    if (need_item) return std::string("empty entry in list");
    return items;
}

}  // namespace jit::daemon
