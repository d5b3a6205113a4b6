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

Result<void, Error> write_all(int fd, const std::string& data) {
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

Result<MirrorState, Error> load_state(const std::string& dir) {
    std::string path = dir + "/state.json";
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd.valid()) {
        if (errno == ENOENT) return MirrorState{};
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
    auto doc = parse_strict(text, kMaxStateBytes);
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

Result<void, Error> save_state(const std::string& dir, const MirrorState& s) {
    json doc = {
        {"revision", s.revision}, {"mirrored", json::object()}, {"revoked", json::object()}};
    for (const auto& [id, m] : s.mirrored)
        doc["mirrored"][id] = {
            {"local", m.local_id}, {"account", m.account}, {"not_after", m.not_after}};
    for (const auto& [id, until] : s.revoked) doc["revoked"][id] = until;
    std::string tmp = dir + "/state.json.new", path = dir + "/state.json";
    UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd.valid()) return fail(tmp + ": " + strerror(errno), errno);
    if (auto w = write_all(fd.get(), doc.dump() + "\n"); !w.ok()) return w;
    if (fsync(fd.get()) != 0) return fail(tmp + ": fsync: " + strerror(errno), errno);
    if (rename(tmp.c_str(), path.c_str()) != 0)
        return fail(path + ": rename: " + strerror(errno), errno);
    UniqueFd dfd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dfd.valid() || fsync(dfd.get()) != 0)
        return fail(dir + ": fsync: " + strerror(errno), errno);
    return {};
}

}  // namespace jit::fleet
