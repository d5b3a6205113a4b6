// jit-jwks-refresh: fetches each issuer's JSON Web Key Set over HTTPS and
// replaces the file jitd reads (jit-jwks-refresh(8)).  jitd itself has no
// network; this is the one place its keys come from the outside.
#include <curl/curl.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "jit/unique_fd.h"
#include "jwks_refresh/refresh.h"

namespace {

using namespace jit::jwks;

constexpr const char* kUsage =
    "usage: jit-jwks-refresh [options]\n"
    "Fetches the key set of every issuer in identity.d that has a jwks_uri and\n"
    "replaces its jwks_file atomically; on any error the old file is kept.\n"
    "  --config-dir DIR     issuer files (default /etc/jit/identity.d)\n"
    "  --issuer NAME        refresh only this issuer (repeatable)\n"
    "  --timeout-ms N       time limit per issuer, discovery included (default 10000)\n"
    "  --max-bytes N        size limit of each document (default 262144)\n"
    "  --ca-file FILE       trust these CAs instead of the system's\n"
    "  --changed-mark FILE  create FILE when a key set was replaced\n"
    "Exit: 0 every issuer refreshed (or unchanged), 1 some issuer kept its old set,\n"
    "2 usage or configuration error.\n";

struct Options {
    std::string config_dir = "/etc/jit/identity.d";
    std::vector<std::string> only;
    std::string changed_mark;
    FetchLimits limits;
};

bool number(const char* text, long low, long high, long* out) {
    char* end = nullptr;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < low || v > high) return false;
    *out = v;
    return true;
}

// 0: parsed; 1: --help/--version printed; 2: usage error.
int parse_options(int argc, char** argv, Options& o) {
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--help") return fputs(kUsage, stdout), 1;
        if (arg == "--version") return puts("jit-jwks-refresh " JIT_VERSION), 1;
        if (i + 1 >= argc)
            return fprintf(stderr, "jit-jwks-refresh: %s needs a value\n%s", argv[i], kUsage), 2;
        const char* v = argv[++i];
        long n = 0;
        if (arg == "--config-dir")
            o.config_dir = v;
        else if (arg == "--issuer")
            o.only.emplace_back(v);
        else if (arg == "--ca-file")
            o.limits.ca_file = v;
        else if (arg == "--changed-mark")
            o.changed_mark = v;
        else if (arg == "--timeout-ms" && number(v, 100, 600000, &n))
            o.limits.timeout_ms = n;
        else if (arg == "--max-bytes" && number(v, 64, 16 << 20, &n))
            o.limits.max_bytes = size_t(n);
        else
            return fprintf(stderr, "jit-jwks-refresh: bad option %s %s\n%s", argv[i - 1], v,
                           kUsage),
                   2;
    }
    return 0;
}

bool wanted(const Options& o, const Source& s) {
    if (o.only.empty()) return true;
    for (const std::string& name : o.only)
        if (name == s.name) return true;
    return false;
}

int run(const Options& o) {
    auto sources = read_sources(o.config_dir);
    if (!sources.ok()) {
        fprintf(stderr, "jit-jwks-refresh: %s\n", sources.error().message.c_str());
        return 2;
    }
    size_t failed = 0, written = 0, tried = 0;
    for (const Source& s : *sources) {
        if (!wanted(o, s) || s.jwks_uri.empty()) continue;
        ++tried;
        auto r = refresh_one(s, o.limits);
        if (!r.ok()) {
            ++failed;
            fprintf(stderr, "jit-jwks-refresh: [%s] kept the old key set in %s: %s\n",
                    s.name.c_str(), s.jwks_file.c_str(), r.error().message.c_str());
            continue;
        }
        const bool replaced = r->replaced == Replaced::Written;
        written += replaced;
        printf("jit-jwks-refresh: [%s] %s %s from %s (%zu usable keys, %zu ignored)\n",
               s.name.c_str(), replaced ? "replaced" : "unchanged", s.jwks_file.c_str(),
               r->from.c_str(), r->keys.usable, r->keys.ignored);
    }
    for (const std::string& name : o.only) {
        bool found = false;
        for (const Source& s : *sources) found |= s.name == name && !s.jwks_uri.empty();
        if (!found) {
            fprintf(stderr, "jit-jwks-refresh: no issuer [%s] with a jwks_uri in %s\n",
                    name.c_str(), o.config_dir.c_str());
            ++failed;
        }
    }
    if (tried == 0 && o.only.empty())
        printf("jit-jwks-refresh: no issuer in %s has a jwks_uri; nothing to refresh\n",
               o.config_dir.c_str());
    if (written > 0 && !o.changed_mark.empty()) {
        jit::UniqueFd mark(
            ::open(o.changed_mark.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
        if (!mark.valid()) {
            fprintf(stderr, "jit-jwks-refresh: cannot create %s: %s (jitd is not told to reload)\n",
                    o.changed_mark.c_str(), strerror(errno));
            return 1;
        }
    }
    return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    if (int rc = parse_options(argc, argv, options); rc != 0) return rc == 1 ? 0 : rc;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fputs("jit-jwks-refresh: cannot initialise libcurl\n", stderr);
        return 2;
    }
    int rc = 2;
    try {
        rc = run(options);
    } catch (const std::exception& e) {
        fprintf(stderr, "jit-jwks-refresh: %s\n", e.what());
    }
    fflush(stdout);
    curl_global_cleanup();
    return rc;
}
