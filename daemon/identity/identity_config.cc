#include "daemon/identity/identity_config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "daemon/config/ini_file.h"
#include "jit/timefmt.h"
#include "jit/unique_fd.h"

namespace jit::daemon::identity {

namespace {

constexpr struct {
    Alg alg;
    const char* name;
} kAlgs[] = {{Alg::RS256, "RS256"},
             {Alg::PS256, "PS256"},
             {Alg::ES256, "ES256"},
             {Alg::ES384, "ES384"},
             {Alg::EdDSA, "EdDSA"}};

bool valid_name(const std::string& n) {
    if (n.empty() || n.size() > 64) return false;
    for (char c : n)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    return true;
}

class Reader : public IniHandler {
public:
    Reader(ProviderSet* set, std::string file) : set_(set), file_(std::move(file)) {}

    std::optional<IniProblem> section(const std::string& name, int line) override {
        if (auto p = finish()) return p;
        if (!valid_name(name))
            return IniProblem{"", "section name must be [a-z0-9_-], 1 to 64 characters"};
        if (set_->by_name(name)) return IniProblem{"", "identity " + name + " defined twice"};
        current_ = Provider{};
        current_->name = name;
        current_->file = file_;
        current_->line = line;
        return std::nullopt;
    }

    std::optional<IniProblem> key(const std::string& section, const std::string& key,
                                  const std::string& value, int) override {
        if (!current_ || section.empty()) return IniProblem{key, "outside an [identity] section"};
        Provider& p = *current_;
        if (key == "issuer") {
            if (value.empty()) return IniProblem{key, "empty"};
            p.issuer = value;
        } else if (key == "audience") {
            auto items = split_list(value);
            if (!items || items->empty()) return IniProblem{key, "needs at least one audience"};
            p.audiences.assign(items->begin(), items->end());
        } else if (key == "jwks_file") {
            if (value.empty() || value[0] != '/')
                return IniProblem{key, "must be an absolute path"};
            p.jwks_file = value;
        } else if (key == "algorithms") {
            return algorithms(value, &p);
        } else if (key == "jwks_uri") {
            // Where jit-jwks-refresh(8) fetches jwks_file from; jitd itself
            // never fetches, so it only checks the value is one that tool takes.
            if (value != "discovery" && value.rfind("https://", 0) != 0)
                return IniProblem{key, "an https:// URL, or \"discovery\""};
        } else if (key == "max_token_age" || key == "clock_skew") {
            auto d = parse_duration(value);
            uint64_t cap = key == "clock_skew" ? 300 : 86400;
            if (!d || *d > cap)
                return IniProblem{key, "a duration up to " + format_duration(int64_t(cap))};
            (key == "clock_skew" ? p.clock_skew : p.max_token_age) = int64_t(*d);
        } else {
            return IniProblem{key, "unknown key"};
        }
        return std::nullopt;
    }

    std::optional<IniProblem> finish() {
        if (!current_) return std::nullopt;
        Provider& p = *current_;
        for (const char* need : {"issuer", "audience", "jwks_file"}) {
            bool missing = (std::string(need) == "issuer" && p.issuer.empty()) ||
                           (std::string(need) == "audience" && p.audiences.empty()) ||
                           (std::string(need) == "jwks_file" && p.jwks_file.empty());
            if (missing) return IniProblem{"", "[" + p.name + "] needs " + need};
        }
        if (set_->by_issuer(p.issuer))
            return IniProblem{"", "issuer " + p.issuer + " is already configured"};
        if (p.algorithms.empty()) p.algorithms = {Alg::RS256};
        set_->providers.push_back(std::move(p));
        current_.reset();
        return std::nullopt;
    }

private:
    static std::optional<IniProblem> algorithms(const std::string& value, Provider* p) {
        auto items = split_list(value);
        if (!items || items->empty()) return IniProblem{"algorithms", "needs at least one"};
        p->algorithms.clear();
        for (auto item : *items) {
            auto a = alg_from_name(item);
            if (!a) {
                std::string s(item);
                bool never = s == "none" || s.rfind("HS", 0) == 0;
                return IniProblem{"algorithms",
                                  s + (never ? " is never accepted (no none, no shared secrets)"
                                             : " is not one of RS256, PS256, ES256, ES384, EdDSA")};
            }
            p->algorithms.push_back(*a);
        }
        return std::nullopt;
    }

    ProviderSet* set_;
    std::string file_;
    std::optional<Provider> current_;
};

}  // namespace

const char* alg_name(Alg a) {
    for (const auto& k : kAlgs)
        if (k.alg == a) return k.name;
    return "?";
}

std::optional<Alg> alg_from_name(std::string_view name) {
    for (const auto& k : kAlgs)
        if (name == k.name) return k.alg;
    return std::nullopt;
}

const Provider* ProviderSet::by_issuer(std::string_view iss) const {
    for (const auto& p : providers)
        if (p.issuer == iss) return &p;
    return nullptr;
}

const Provider* ProviderSet::by_name(std::string_view name) const {
    for (const auto& p : providers)
        if (p.name == name) return &p;
    return nullptr;
}

Result<void, Failure> parse_identity_text(const std::string& text, const std::string& name,
                                          ProviderSet* set) {
    Reader reader(set, name);
    if (auto r = parse_ini(text, name, reader); !r) return r.error();
    if (auto p = reader.finish()) return config_error(name, 0, p->key, p->message);
    return {};
}

Result<ProviderSet, Failure> load_identity_dir(const std::string& dir) {
    ProviderSet set;
    auto error = [&](std::string m) { return config_error(dir, 0, "", std::move(m)); };
    DIR* d = opendir(dir.c_str());
    if (!d) {
        if (errno == ENOENT) return set;
        return error(strerror(errno));
    }
    std::vector<std::string> names;
    while (dirent* e = readdir(d)) {
        std::string n = e->d_name;
        if (n.size() > 5 && n[0] != '.' && n.compare(n.size() - 5, 5, ".conf") == 0)
            names.push_back(n);
    }
    closedir(d);
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
        std::string path = dir + "/" + n;
        UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
        struct stat st;
        if (!fd.valid() || fstat(fd.get(), &st) != 0)
            return config_error(path, 0, "", strerror(errno));
        if (st.st_uid != 0 && st.st_uid != geteuid())
            return config_error(path, 0, "", "must be owned by root");
        if (st.st_mode & (S_IWGRP | S_IWOTH))
            return config_error(path, 0, "", "must not be writable by group or others");
        auto text = read_ini_file(fd.get(), path);
        if (!text) return text.error();
        if (auto r = parse_identity_text(*text, path, &set); !r) return r.error();
    }
    return set;
}

}  // namespace jit::daemon::identity
