// Reading policy.d: which files count, whether they may be trusted, and one
// zone cache for the whole set.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "daemon/config/ini_file.h"
#include "jit/unique_fd.h"
#include "daemon/policy/policy.h"

namespace jit::daemon {

namespace {

constexpr size_t kMaxFiles = 256;

}  // namespace

ZoneResolver default_zone_resolver(const std::string& zoneinfo_dir) {
    auto cache = std::make_shared<std::map<std::string, std::shared_ptr<const TimeZone>>>();
    return [cache, zoneinfo_dir](
               std::string_view name) -> Result<std::shared_ptr<const TimeZone>, std::string> {
        auto it = cache->find(std::string(name));
        if (it != cache->end()) return it->second;
        auto zone = TimeZone::load(name, zoneinfo_dir);
        if (!zone) return zone.error();
        auto shared = std::make_shared<const TimeZone>(std::move(*zone));
        cache->emplace(std::string(name), shared);
        return shared;
    };
}

namespace {

PolicyOptions with_resolver(const PolicyOptions& options) {
    PolicyOptions o = options;
    if (!o.zones) o.zones = default_zone_resolver(o.zoneinfo_dir);
    return o;
}

bool is_policy_file(const std::string& name) {
    return name.size() > 5 && name[0] != '.' && name.compare(name.size() - 5, 5, ".conf") == 0;
}

// Whoever can write a policy file decides who gets access.
std::optional<std::string> unsafe(const struct stat& st) {
    if (st.st_uid != 0 && st.st_uid != geteuid()) return "must be owned by root";
    if (st.st_mode & (S_IWGRP | S_IWOTH)) return "must not be writable by group or others";
    return std::nullopt;
}

Failure os_error(const std::string& path) {
    const int e = errno;
    return config_error(path, 0, "", strerror(e), e);
}

Result<std::vector<std::string>, Failure> list_files(const std::string& dir, int dir_fd) {
    auto error = [&](std::string m) { return config_error(dir, 0, "", std::move(m)); };
    int copy = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);
    if (copy < 0) return error(strerror(errno));
    DIR* d = fdopendir(copy);
    if (!d) {
        close(copy);
        return error(strerror(errno));
    }
    std::vector<std::string> names;
    while (dirent* e = readdir(d))
        if (is_policy_file(e->d_name)) names.emplace_back(e->d_name);
    closedir(d);
    if (names.size() > kMaxFiles) return error("more than 256 policy files");
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace

Result<PolicySet, Failure> load_policy_dir(const std::string& dir, const PolicyOptions& options) {
    PolicyOptions o = with_resolver(options);
    PolicySet set;
    UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir_fd.valid()) {
        if (errno == ENOENT) return set;
        return os_error(dir);
    }
    struct stat st;
    if (::fstat(dir_fd.get(), &st) != 0) return os_error(dir);
    if (auto why = unsafe(st)) return config_error(dir, 0, "", "the directory " + *why);
    const bool enterable = st.st_mode & S_IXOTH;
    if (st.st_mode & (S_IROTH | S_IXOTH))
        set.exposed.push_back({dir, unsigned(st.st_mode & 07777)});
    auto names = list_files(dir, dir_fd.get());
    if (!names) return names.error();
    for (const auto& name : *names) {
        std::string path = dir + "/" + name;
        UniqueFd fd(::openat(dir_fd.get(), name.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
        if (!fd.valid()) return os_error(path);
        if (::fstat(fd.get(), &st) != 0) return os_error(path);
        if (auto why = unsafe(st)) return config_error(path, 0, "", *why);
        if (enterable && (st.st_mode & S_IROTH))
            set.exposed.push_back({path, unsigned(st.st_mode & 07777)});
        auto text = read_ini_file(fd.get(), path);
        if (!text) return text.error();
        if (auto parsed = parse_policy_text(*text, path, o, &set); !parsed) return parsed.error();
        set.files.push_back(path);
    }
    return set;
}

}  // namespace jit::daemon
