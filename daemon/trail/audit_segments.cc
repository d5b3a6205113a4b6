// Sealed segments: the audit records jit.db no longer needs to hold, moved
// into read-only files of the state directory's audit-segments/, and the
// bound on the disk the log takes (audit_max_disk).
//
// A segment holds records [first, end) in the export format: the tree's
// frontier at first (when first > 0), the records, the checkpoints among
// them, and ends with the signed checkpoint of size end, so each file
// verifies alone from its tree state and the files in order verify as one
// log.  The file is written, synced and made read-only (0400) on the
// sealer's thread (segment_writer.h) before the transaction that records it
// (audit_segments); that transaction also appends an audit-sealed record
// holding the file's SHA-256 and the previous segment's, so the log itself
// chains the files.  Its rows then leave jit.db a slice per transaction;
// until they have, the readers take them as sealed (AuditStore::first_held)
// and nothing else is sealed or removed.
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

#include "daemon/base/crash_point.h"
#include "daemon/trail/audit_trail.h"
#include "daemon/trail/segment_writer.h"
#include "jit/unique_fd.h"

namespace jit::daemon {

namespace {

// Rows dropped from jit.db per transaction once their file is listed.  One
// DELETE of a whole segment's rows (each with its triggers, then the WAL
// sync) held the loop 0.7 s at 100,000 records; a slice holds it for a
// transaction's syncs and a few milliseconds, between the turns that serve
// CHECKs (the idle source runs once per batch of events).
constexpr size_t kPruneRows = 500;

std::string os_error(const std::string& what, int code) {
    return what + ": " + strerror(code);
}

}  // namespace

void AuditTrail::seal_in_background(sd_event* event) {
    if (!log_) return;
    auto sealer = SegmentSealer::create(event, state_dir_, state_dir_ + "/" + kSegmentDir);
    if (!sealer) {
        journal_.record(Event::AuditFailed, LOG_ERR,
                        "audit segments are not sealed: " + sealer.error().message,
                        {{"JIT_REASON", sealer.error().message}});
        return;
    }
    sealer_ = std::move(*sealer);
}

void AuditTrail::stop_sealing() {
    sealer_.reset();
}

// One step at a time, each short: the rows of the last sealed file are
// pruned first, a slice per call, then the next file is started on the
// sealer's thread (sealed() goes on once it is written), or else the
// oldest files go while the log is over audit_max_disk.
void AuditTrail::maintain() {
    if (!log_) return;
    std::string failure;
    auto left = prune_slice();
    if (!left) {
        failure = left.error();
    } else if (*left) {
        if (maintenance_due_) maintenance_due_();  // the next slice after this turn
        return;
    } else if (sealer_ && sealer_->busy()) {
        return;
    } else if (auto started = start_seal(); !started) {
        failure = started.error();
    } else if (!*started) {
        failure = remove_past_bound();
    }
    if (!failure.empty()) seal_failed(failure);
}

void AuditTrail::seal_failed(const std::string& failure) {
    journal_.record(
        Event::AuditFailed, LOG_ERR,
        "cannot seal or remove audit segments: " + failure + "; the records stay in jit.db",
        {{"JIT_REASON", failure}});
}

// Unsynced: a slice's two syncs (WAL, jit.hwm) held the loop for rows that a
// sealed file already holds (with 1 ms syncs, 100,000 rows took 2 s to leave
// jit.db synced, 0.7 s unsynced).  A crash may bring a slice's rows back;
// they are still sealed (listed), the readers skip them, and they are
// dropped again.  The next synced commit makes the slices before it durable
// with itself.
Result<bool, std::string> AuditTrail::prune_slice() {
    auto left = rows_.sealed_rows_left();
    if (!left) return left.error().message;
    if (!*left) return false;
    StoreTx tx(store_);
    tx.audit_only();
    tx.sync_later();
    if (auto begun = tx.begin(); !begun) return begun.error().message;
    auto pruned = rows_.prune_sealed(tx, kPruneRows);
    if (!pruned) return pruned.error().message;
    if (auto ok = tx.commit(); !ok) return ok.error().message;
    return *pruned == kPruneRows;
}

// True when a file is being written.
Result<bool, std::string> AuditTrail::start_seal() {
    if (!sealer_) return false;
    auto held = rows_.first_held();
    auto last = rows_.last_checkpoint();
    if (!held || !last) return !held ? held.error().message : last.error().message;
    if (!*last || (*last)->size <= *held || (*last)->size - *held < config_.segment_records)
        return false;
    const uint64_t first = *held, end = (*last)->size;
    auto started = sealer_->start(first, end, clock_.now(), [this](auto row) {
        if (!row) return seal_failed(row.error().message);
        if (auto done = seal_segment(*row); !done) return seal_failed(done.error());
        if (maintenance_due_) maintenance_due_();  // its rows, then the disk bound
    });
    if (!started) return started.error().message;
    return true;
}

std::string AuditTrail::remove_past_bound() {
    while (config_.max_disk) {
        auto segments = rows_.segments();
        auto in_db = held_bytes();
        if (!segments || !in_db)
            return !segments ? segments.error().message : in_db.error().message;
        uint64_t total = *in_db;
        for (const auto& s : *segments) total += s.bytes;
        if (total <= config_.max_disk || segments->empty()) break;
        if (auto removed = remove_segment(segments->front()); !removed) return removed.error();
    }
    return "";
}

// On the loop, once the sealer's file is durable: the transaction that
// lists it, with its audit-sealed record.
Result<void, std::string> AuditTrail::seal_segment(const AuditSegmentRow& row) {
    auto segments = rows_.segments();
    if (!segments) return segments.error().message;
    const std::string prev = segments->empty() ? "" : segments->back().sha256;
    JIT_CRASH_CONTEXT("audit-seal");
    JIT_CRASH_POINT("segment-written");  // the file is there, jit.db does not list it
    JIT_CRASH_CONTEXT("idle");
    const uint64_t first = row.first_seq, end = row.end_seq;
    JournalEntry entry{Event::AuditSealed,
                       LOG_INFO,
                       "audit records " + std::to_string(first) + ".." + std::to_string(end - 1) +
                           " sealed into " + row.file + " (sha256 " + row.sha256 + ")",
                       {{"JIT_AUDIT_SEGMENT", row.file},
                        {"JIT_AUDIT_FIRST", std::to_string(first)},
                        {"JIT_AUDIT_END", std::to_string(end)},
                        {"JIT_AUDIT_BYTES", std::to_string(row.bytes)},
                        {"JIT_AUDIT_SHA256", row.sha256},
                        {"JIT_AUDIT_PREV_SHA256", prev}}};
    auto done = commit_record(std::move(entry), [&](StoreTx& tx) { return rows_.seal(tx, row); });
    if (done) {
        first_held_ = end;
        held_bytes_.reset();  // read again: only the records after the file now
    }
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
    return segment_file_name(first, end) == name;
}

}  // namespace

// Loud, and a record of the log itself; jitd starts anyway: the log jit.db
// holds is intact, and the gap is the auditor's finding.
void AuditTrail::segment_missing(const AuditSegmentRow& row) {
    const std::string dir = state_dir_ + "/" + kSegmentDir;
    JournalEntry entry{Event::AuditSegmentMissing,
                       LOG_ALERT,
                       "the audit segment file " + row.file + " that jit.db lists is not in " +
                           dir + ": audit records " + std::to_string(row.first_seq) + ".." +
                           std::to_string(row.end_seq - 1) +
                           " are no longer on this host (jitctl audit export and verify name "
                           "them); jitd serves on, the rest of the log is intact",
                       {{"JIT_AUDIT_SEGMENT", row.file},
                        {"JIT_AUDIT_FIRST", std::to_string(row.first_seq)},
                        {"JIT_AUDIT_END", std::to_string(row.end_seq)},
                        {"JIT_AUDIT_SHA256", row.sha256}}};
    auto recorded = commit_record(entry, [](StoreTx&) { return Result<void, Failure>(); });
    if (!recorded) {
        entry.fields.push_back(
            {"JIT_REASON", "not recorded in the audit log: " + recorded.error()});
        journal_.record_entry(entry);
    }
}

Result<void, Failure> AuditTrail::recover_segments() {
    if (!log_) return {};
    const std::string dir = state_dir_ + "/" + kSegmentDir;
    auto segments = rows_.segments();
    auto held = rows_.first_held();
    if (!segments || !held)
        return Failure{EIO, "cannot read the audit log: " +
                                (!segments ? segments.error().message : held.error().message)};
    const uint64_t kept = segments->empty() ? *held : segments->front().first_seq;
    for (const auto& row : *segments) {
        struct stat st {};
        if (::lstat((dir + "/" + row.file).c_str(), &st) != 0 && errno == ENOENT)
            segment_missing(row);
    }
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
