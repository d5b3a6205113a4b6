// Sealed segments: the audit records jit.db no longer needs to hold, moved
// into read-only files of the state directory's audit-segments/, and the
// bound on the disk the log takes (audit_max_disk).
//
// A segment holds records [first, end) in the export format: the tree's
// frontier at first (when first > 0), the records, the checkpoints among
// them, and ends with the signed checkpoint of size end, so each file
// verifies alone from its tree state and the files in order verify as one
// log.  The file is written, synced and made read-only (0400) before the
// transaction that records it (audit_segments) and drops its rows; that
// transaction also appends an audit-sealed record holding the file's
// SHA-256 and the previous segment's, so the log itself chains the files.
// Removing the oldest segment is the same: an audit-removed record, then
// the file, so a verifier knows where the history kept on the host starts.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include <openssl/evp.h>

#include "daemon/base/crash_point.h"
#include "daemon/trail/audit_trail.h"
#include "jit/unique_fd.h"

namespace jit::daemon {

namespace {

constexpr size_t kPageRows = 1000;
constexpr size_t kPageBytes = 1 << 20;

std::string os_error(const std::string& what, int code) {
    return what + ": " + strerror(code);
}

std::string segment_name(uint64_t first, uint64_t end) {
    char name[80];
    snprintf(name, sizeof name, "audit-%020llu-%020llu.jsonl", (unsigned long long)first,
             (unsigned long long)end);
    return name;
}

Result<void, std::string> write_all(int fd, const std::string& text) {
    size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return os_error("cannot write a segment file", n < 0 ? errno : EIO);
        done += size_t(n);
    }
    return {};
}

struct MdFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

std::string hex_digest(EVP_MD_CTX* md) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(md, out, &n);
    static const char digits[] = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < n; ++i) {
        hex += digits[out[i] >> 4];
        hex += digits[out[i] & 15];
    }
    return hex;
}

}  // namespace

void AuditTrail::maintain() {
    if (!log_) return;
    auto held = rows_.first_held();
    auto last = rows_.last_checkpoint();
    std::string failure;
    if (!held || !last) {
        failure = !held ? held.error().message : last.error().message;
    } else if (*last && (*last)->size > *held && (*last)->size - *held >= config_.segment_records) {
        if (auto sealed = seal_segment(*held, (*last)->size); !sealed) failure = sealed.error();
    }
    while (failure.empty() && config_.max_disk) {
        auto segments = rows_.segments();
        auto in_db = rows_.bytes_held();
        if (!segments || !in_db) {
            failure = !segments ? segments.error().message : in_db.error().message;
            break;
        }
        uint64_t total = *in_db;
        for (const auto& s : *segments) total += s.bytes;
        if (total <= config_.max_disk || segments->empty()) break;
        if (auto removed = remove_segment(segments->front()); !removed) failure = removed.error();
    }
    if (!failure.empty())
        journal_.record(
            Event::AuditFailed, LOG_ERR,
            "cannot seal or remove audit segments: " + failure + "; the records stay in jit.db",
            {{"JIT_REASON", failure}});
}

Result<AuditSegmentRow, std::string> AuditTrail::write_segment(uint64_t first, uint64_t end) {
    const std::string dir = state_dir_ + "/" + kSegmentDir;
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        return os_error("cannot create " + dir, errno);
    AuditSegmentRow row{first, end, segment_name(first, end), 0, "", clock_.now()};
    const std::string tmp = dir + "/." + row.file + ".tmp";
    ::unlink(tmp.c_str());
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.valid()) return os_error("cannot create " + tmp, errno);
    std::unique_ptr<EVP_MD_CTX, MdFree> md(EVP_MD_CTX_new());
    if (!md || EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr) != 1)
        return std::string("cannot start SHA-256");
    auto emit = [&](const std::string& text) -> Result<void, std::string> {
        EVP_DigestUpdate(md.get(), text.data(), text.size());
        row.bytes += text.size();
        return write_all(fd.get(), text);
    };
    if (first > 0) {
        auto cp = rows_.checkpoint_at_or_before(first);
        if (!cp || !*cp || (*cp)->size != first)
            return "no checkpoint at record " + std::to_string(first) + " to start the segment";
        auto frontier = audit::Frontier::decode((*cp)->frontier);
        if (!frontier) return "a stored checkpoint is damaged: " + frontier.error();
        if (auto ok = emit(audit::export_frontier(*frontier) + "\n"); !ok) return ok.error();
    }
    auto checkpoints = rows_.checkpoints_between(first, end);
    if (!checkpoints) return checkpoints.error().message;
    size_t c = 0;
    for (uint64_t from = first; from < end;) {
        auto page = rows_.page(from, "", kPageRows, kPageBytes);
        if (!page) return page.error().message;
        if (page->empty()) return "records " + std::to_string(from) + ".. are missing";
        std::string text;
        for (const auto& r : *page) {
            if (r.seq >= end) break;
            text += r.record + "\n";
            for (; c < checkpoints->size() && (*checkpoints)[c].size <= r.seq + 1; ++c)
                text += audit::export_checkpoint((*checkpoints)[c].note) + "\n";
            from = r.seq + 1;
        }
        if (auto ok = emit(text); !ok) return ok.error();
    }
    row.sha256 = hex_digest(md.get());
    if (::fchmod(fd.get(), 0400) != 0 || ::fsync(fd.get()) != 0)
        return os_error("cannot seal " + tmp, errno);
    if (::rename(tmp.c_str(), (dir + "/" + row.file).c_str()) != 0)
        return os_error("cannot rename " + tmp, errno);
    UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dfd.valid() || ::fsync(dfd.get()) != 0) return os_error("cannot sync " + dir, errno);
    return row;
}

Result<void, std::string> AuditTrail::seal_segment(uint64_t first, uint64_t end) {
    auto segments = rows_.segments();
    if (!segments) return segments.error().message;
    const std::string prev = segments->empty() ? "" : segments->back().sha256;
    JIT_CRASH_CONTEXT("audit-seal");
    auto row = write_segment(first, end);
    if (!row) return row.error();
    JIT_CRASH_POINT("segment-written");  // the file is there, jit.db does not list it
    JournalEntry entry{Event::AuditSealed,
                       LOG_INFO,
                       "audit records " + std::to_string(first) + ".." + std::to_string(end - 1) +
                           " sealed into " + row->file + " (sha256 " + row->sha256 + ")",
                       {{"JIT_AUDIT_SEGMENT", row->file},
                        {"JIT_AUDIT_FIRST", std::to_string(first)},
                        {"JIT_AUDIT_END", std::to_string(end)},
                        {"JIT_AUDIT_BYTES", std::to_string(row->bytes)},
                        {"JIT_AUDIT_SHA256", row->sha256},
                        {"JIT_AUDIT_PREV_SHA256", prev}}};
    auto done = commit_record(std::move(entry), [&](StoreTx& tx) { return rows_.seal(tx, *row); });
    JIT_CRASH_CONTEXT("idle");
    if (done) first_held_ = end;
    return done;
}

Result<void, std::string> AuditTrail::remove_segment(const AuditSegmentRow& s) {
    JournalEntry entry{Event::AuditRemoved,
                       LOG_NOTICE,
                       "audit segment " + s.file + " removed (audit_max_disk): the log kept " +
                           "on this host now starts at record " + std::to_string(s.end_seq),
                       {{"JIT_AUDIT_SEGMENT", s.file},
                        {"JIT_AUDIT_FIRST", std::to_string(s.first_seq)},
                        {"JIT_AUDIT_END", std::to_string(s.end_seq)},
                        {"JIT_AUDIT_SHA256", s.sha256}}};
    auto done = commit_record(std::move(entry),
                              [&](StoreTx& tx) { return rows_.forget_segment(tx, s.first_seq); });
    if (!done) return done;
    JIT_CRASH_CONTEXT("audit-remove");
    JIT_CRASH_POINT("committed");  // jit.db forgot the file, which is still there
    JIT_CRASH_CONTEXT("idle");
    const std::string path = state_dir_ + "/" + kSegmentDir + "/" + s.file;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
        return os_error("cannot remove " + path, errno);
    return {};
}

Result<void, std::string> AuditTrail::commit_record(
    JournalEntry entry, const std::function<Result<void, Failure>(StoreTx&)>& change) {
    StoreTx tx(store_);
    if (auto begun = tx.begin(); !begun) return begun.error().message;
    if (auto ok = change(tx); !ok) return ok.error().message;
    const size_t slot = tx.audit(entry);
    if (auto ok = tx.commit(); !ok) return ok.error().message;
    if (auto seq = tx.audit_seq(slot))
        entry.fields.push_back({"JIT_AUDIT_SEQ", std::to_string(*seq)});
    journal_.record_entry(entry);
    return {};
}

namespace {

// "audit-FIRST-END.jsonl" as segment_name() writes it.
bool parse_segment_name(const std::string& name, uint64_t& first, uint64_t& end) {
    unsigned long long f = 0, e = 0;
    if (sscanf(name.c_str(), "audit-%20llu-%20llu.jsonl", &f, &e) != 2) return false;
    first = f;
    end = e;
    return segment_name(first, end) == name;
}

}  // namespace

Result<void, Failure> AuditTrail::recover_segments() {
    if (!log_) return {};
    const std::string dir = state_dir_ + "/" + kSegmentDir;
    auto segments = rows_.segments();
    auto held = rows_.first_held();
    if (!segments || !held)
        return Failure{EIO, "cannot read the audit log: " +
                                (!segments ? segments.error().message : held.error().message)};
    const uint64_t kept = segments->empty() ? *held : segments->front().first_seq;
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
    if (!d) {
        if (errno == ENOENT) return {};
        return Failure{errno, os_error("cannot read " + dir, errno)};
    }
    std::vector<std::string> listed;
    for (const auto& row : *segments) listed.push_back(row.file);
    std::vector<std::pair<std::string, std::string>> stale;  // file, why
    while (dirent* e = ::readdir(d.get())) {
        const std::string name = e->d_name;
        uint64_t first = 0, end = 0;
        if (name.starts_with(".audit-") && name.ends_with(".tmp")) {
            stale.push_back({name, "a segment file not finished when jitd stopped"});
        } else if (!parse_segment_name(name, first, end)) {
            continue;  // not jitd's
        } else if (std::find(listed.begin(), listed.end(), name) != listed.end()) {
            continue;
        } else if (first >= *held && end > first) {
            stale.push_back({name,
                             "its records are still in jit.db: the transaction sealing "
                             "them never committed; they are sealed again"});
        } else if (end <= kept) {
            stale.push_back({name,
                             "before the history kept: its audit-removed record "
                             "committed, the file's removal did not happen"});
        } else {
            return Failure{EEXIST, dir + "/" + name +
                                       " is a segment file jit.db does not list, and its "
                                       "records are neither in jit.db nor before the history "
                                       "kept: move it out of " +
                                       dir + " (it is not adopted " +
                                       "into the log nor removed unseen)"};
        }
    }
    for (const auto& [name, why] : stale) {
        const std::string path = dir + "/" + name;
        if (::unlink(path.c_str()) != 0 && errno != ENOENT)
            return Failure{errno, os_error("cannot remove " + path, errno)};
        journal_.record(Event::AuditSegmentRecovered, LOG_NOTICE,
                        "removed the audit segment file " + name + ": " + why,
                        {{"JIT_AUDIT_SEGMENT", name}, {"JIT_REASON", why}});
    }
    if (!stale.empty()) {
        UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!dfd.valid() || ::fsync(dfd.get()) != 0)
            return Failure{EIO, os_error("cannot sync " + dir, errno)};
    }
    return {};
}

}  // namespace jit::daemon
