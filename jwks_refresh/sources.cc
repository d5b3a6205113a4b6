#include "jwks_refresh/sources.h"

#include <dirent.h>
#include <fcntl.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "daemon/config/ini_file.h"
#include "jit/unique_fd.h"

namespace jit::jwks {

namespace {

class SourceReader : public daemon::IniHandler {
public:
    SourceReader(const std::string& file, std::vector<Source>& out) : file_(file), out_(out) {}

    std::optional<daemon::IniProblem> section(const std::string& name, int) override {
        if (name.empty()) return daemon::IniProblem{"", "empty section name"};
        for (const Source& s : out_)
            if (s.name == name)
                return daemon::IniProblem{"", "issuer [" + name + "] appears twice"};
        out_.push_back(Source{name, file_, "", "", ""});
        return std::nullopt;
    }

    std::optional<daemon::IniProblem> key(const std::string& section, const std::string& key,
                                          const std::string& value, int) override {
        if (section.empty()) return daemon::IniProblem{key, "key before any [issuer] section"};
        Source& s = out_.back();
        std::string* slot = key == "issuer"      ? &s.issuer
                            : key == "jwks_file" ? &s.jwks_file
                            : key == "jwks_uri"  ? &s.jwks_uri
                                                 : nullptr;
        if (slot == nullptr) return std::nullopt;  // jitd's to check
        if (!slot->empty()) return daemon::IniProblem{key, "given twice"};
        if (value.empty()) return daemon::IniProblem{key, "empty value"};
        *slot = value;
        return std::nullopt;
    }

private:
    const std::string& file_;
    std::vector<Source>& out_;
};

bool is_conf(const char* name) {
    size_t n = strlen(name);
    return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".conf") == 0;
}

}  // namespace

Result<std::vector<Source>, Failure> read_sources(const std::string& dir) {
    std::vector<std::string> names;
    {
        DIR* d = opendir(dir.c_str());
        if (d == nullptr) return problem(dir + ": " + strerror(errno));
        while (dirent* e = readdir(d))
            if (is_conf(e->d_name)) names.emplace_back(e->d_name);
        closedir(d);
    }
    std::sort(names.begin(), names.end());
    std::vector<Source> out;
    for (const std::string& name : names) {
        const std::string path = dir + "/" + name;
        UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
        if (!fd.valid()) return problem(path + ": " + strerror(errno));
        auto text = daemon::read_ini_file(fd.get(), path);
        if (!text.ok()) return problem(text.error().to_string());
        SourceReader reader(path, out);
        if (auto r = daemon::parse_ini(*text, path, reader); !r.ok())
            return problem(r.error().to_string());
    }
    return out;
}

Result<void, Failure> check_source(const Source& s) {
    auto bad = [&](const char* key, const std::string& why) {
        return problem(s.file + ": [" + s.name + "] " + key + ": " + why);
    };
    if (s.jwks_file.empty() || s.jwks_file[0] != '/')
        return bad("jwks_file", "not an absolute path");
    if (s.jwks_file.back() == '/') return bad("jwks_file", "names a directory");
    if (s.discovery()) {
        if (s.issuer.rfind("https://", 0) != 0)
            return bad("issuer", "discovery needs an https:// issuer, got \"" + s.issuer + "\"");
    } else if (s.jwks_uri.rfind("https://", 0) != 0) {
        return bad("jwks_uri",
                   "only https:// URLs (or \"discovery\") are fetched, got \"" + s.jwks_uri + "\"");
    }
    return {};
}

}  // namespace jit::jwks
