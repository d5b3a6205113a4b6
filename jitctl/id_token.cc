#include "id_token.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <optional>

#include "jit/escape.h"
#include "jit/protocol.h"
#include "jit/unique_fd.h"

namespace jit::ctl {

namespace {

// Up to kMaxIdToken + 1 bytes: one more tells a token too large.
std::optional<std::string> read_all(int fd, std::string* out) {
    char buf[4096];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return std::string(strerror(errno));
        if (n == 0) return std::nullopt;
        out->append(buf, size_t(n));
        if (out->size() > proto::kMaxIdToken)
            return "larger than " + std::to_string(proto::kMaxIdToken) + " bytes";
    }
}

}  // namespace

bool looks_like_token(const std::string& text) {
    size_t dots = 0;
    for (char c : text) {
        if (c == '.') {
            ++dots;
            continue;
        }
        if (!(isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return false;
    }
    return dots == 2 && text.size() > 16;
}

std::optional<std::string> read_id_token(const std::string& arg, std::string* token) {
    if (looks_like_token(arg))
        return std::string(
            "--id-token takes a FILE or - (standard input), not the token itself: a command "
            "line is readable by every local user; e.g. printf '%s' \"$TOKEN\" | jitctl ... "
            "--id-token -");
    std::string text;
    std::optional<std::string> failed;
    if (arg == "-") {
        failed = read_all(STDIN_FILENO, &text);
    } else {
        UniqueFd fd(open(arg.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
        if (!fd.valid()) return "--id-token " + escape_text(arg) + ": " + strerror(errno);
        failed = read_all(fd.get(), &text);
    }
    if (failed) return "--id-token " + escape_text(arg) + ": " + *failed;
    while (!text.empty() && strchr(" \t\r\n", text.back())) text.pop_back();
    if (text.empty()) return "--id-token " + escape_text(arg) + ": no token";
    *token = std::move(text);
    return std::nullopt;
}

}  // namespace jit::ctl
