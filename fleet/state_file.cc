#include "fleet/state_file.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fleet/json_strict.h"
#include "jit/unique_fd.h"

namespace jit::fleet {

using nlohmann::json;

namespace {

constexpr size_t kMaxStateBytes = 16 * 1024 * 1024;

Result<void, Failure> write_all(int fd, const std::string& data) {
    size_t done = 0;
    while (done < data.size()) {
        ssize_t n = write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return fail("write: " + std::string(strerror(errno)), errno);
        done += size_t(n);
    }
    return {};
}

}  // namespace

// The text of a state file; "" when it does not exist.
Result<std::string, Failure> read_state_file(const std::string& path) {
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd.valid()) {
        if (errno == ENOENT) return std::string();
        return fail(path + ": " + strerror(errno), errno);
    }
    std::string text;
    char buf[65536];
    for (ssize_t n; (n = read(fd.get(), buf, sizeof buf)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail(path + ": " + strerror(errno), errno);
        text.append(buf, size_t(n));
        if (text.size() > kMaxStateBytes) return fail(path + ": larger than 16 MiB", EFBIG);
    }
    return text;
}

// Written to NAME.new, fsynced, renamed over NAME, directory fsynced.
Result<void, Failure> write_state_file(const std::string& dir, const std::string& name,
                                       const std::string& text) {
    std::string tmp = dir + "/" + name + ".new", path = dir + "/" + name;
    UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd.valid()) return fail(tmp + ": " + strerror(errno), errno);
    if (auto w = write_all(fd.get(), text); !w.ok()) return w;
    if (fsync(fd.get()) != 0) return fail(tmp + ": fsync: " + strerror(errno), errno);
    if (rename(tmp.c_str(), path.c_str()) != 0)
        return fail(path + ": rename: " + strerror(errno), errno);
    UniqueFd dfd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dfd.valid() || fsync(dfd.get()) != 0)
        return fail(dir + ": fsync: " + strerror(errno), errno);
    return {};
}

Result<MirrorState, Failure> load_state(const std::string& dir) {
    std::string path = dir + "/state.json";
    auto text = read_state_file(path);
    if (!text.ok()) return text.error();
    if (text->empty()) return MirrorState{};
    auto doc = parse_strict(*text, kMaxStateBytes);
    if (!doc.ok() || !doc->is_object())
        return fail(path + ": damaged (remove it to resync from etcd)", EBADMSG);
    MirrorState s;
    try {
        s.revision = doc->at("revision").get<int64_t>();
        for (const auto& [id, m] : doc->at("mirrored").items())
            s.mirrored[id] =
                Mirrored{m.at("local").get<std::string>(), m.at("account").get<std::string>(),
                         m.at("not_after").get<int64_t>()};
        for (const auto& [id, until] : doc->at("revoked").items())
            s.revoked[id] = until.get<int64_t>();
    } catch (const json::exception&) {
        return fail(path + ": damaged (remove it to resync from etcd)", EBADMSG);
    }
    return s;
}

Result<void, Failure> save_state(const std::string& dir, const MirrorState& s) {
    json doc = {
        {"revision", s.revision}, {"mirrored", json::object()}, {"revoked", json::object()}};
    for (const auto& [id, m] : s.mirrored)
        doc["mirrored"][id] = {
            {"local", m.local_id}, {"account", m.account}, {"not_after", m.not_after}};
    for (const auto& [id, until] : s.revoked) doc["revoked"][id] = until;
    return write_state_file(dir, "state.json", doc.dump() + "\n");
}

}  // namespace jit::fleet
