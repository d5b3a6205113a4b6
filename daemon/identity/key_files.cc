#include "daemon/identity/key_files.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>

#include "jit/unique_fd.h"

namespace jit::daemon::identity {

namespace {

// The issuer that held `name` with the same issuer and key file before.
const Issuer* earlier(const std::vector<Issuer>& previous, const Provider& p) {
    for (const auto& i : previous)
        if (i.config.name == p.name && i.config.issuer == p.issuer &&
            i.config.jwks_file == p.jwks_file)
            return &i;
    return nullptr;
}

// The whole file into *text; the error, if any.
std::optional<std::string> read_capped(int fd, std::string* text) {
    char buf[8192];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return std::string(strerror(errno));
        if (n == 0) return std::nullopt;
        if (text->size() + size_t(n) > kMaxJwksBytes)
            return "larger than " + std::to_string(kMaxJwksBytes) + " bytes";
        text->append(buf, size_t(n));
    }
}

}  // namespace

Result<KeySet, std::string> read_key_file(const std::string& path) {
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
    struct stat st;
    if (!fd.valid() || fstat(fd.get(), &st) != 0) return std::string(strerror(errno));
    if (!S_ISREG(st.st_mode)) return std::string("not a regular file");
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        return std::string("must not be writable by group or others");
    std::string text;
    if (auto failed = read_capped(fd.get(), &text)) return *failed;
    auto keys = parse_jwks(text);
    if (!keys) return "not a usable key set: " + keys.error();
    return std::move(*keys);
}

KeyLoad load_key_sets(const ProviderSet& providers, const std::vector<Issuer>& previous) {
    KeyLoad out;
    for (const auto& p : providers.providers) {
        Issuer issuer{p, nullptr};
        auto keys = read_key_file(p.jwks_file);
        if (keys) {
            issuer.keys = std::make_shared<const KeySet>(std::move(*keys));
        } else {
            const Issuer* before = earlier(previous, p);
            if (before) issuer.keys = before->keys;
            out.problems.push_back(p.name + ": " + p.jwks_file + ": " + keys.error() +
                                   (issuer.keys ? "; keeping the keys read before"
                                                : "; no keys, its tokens are refused"));
        }
        out.issuers.push_back(std::move(issuer));
    }
    return out;
}

}  // namespace jit::daemon::identity
