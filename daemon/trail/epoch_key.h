// The audit log's evolving key, kept outside SQLite in one small file of the
// state directory (audit-epoch.key, 0600), overwritten in place and synced
// after every commit that moved the log on.
//
// Why a file and not a column of jit.db: the key changes with every record,
// and SQLite never overwrites a row in place.  Each commit appends the new
// page to the write-ahead log, and the page holding the old key stays there
// (and in free pages of jit.db) until SQLite happens to reuse the space; a
// root attacker who took the host later would find the keys of the records
// written since the last checkpoint, and could forge them.  Checkpointing the
// WAL (TRUNCATE) after every commit would erase them at the price of writing
// the database and two more syncs per commit; a fixed-size file rewritten at
// offset 0 costs one write and one fdatasync, and leaves no older copy in
// any file.  (On a copy-on-write filesystem, btrfs or ZFS, or under
// data=journal, old blocks may survive on the device: see jitd.conf(5).)
//
// jit.db stays the authority on how far the log goes: the file is written
// only after the commit, so after a crash it may hold an older epoch, which
// the one-way step carries forward; a file ahead of jit.db (a database
// restored from a backup, a WAL that lost its last commits) is refused,
// since no key can be stepped back.  That makes the file the audit log's own
// high-water mark: the commits that write audit records alone (a turn's
// decisions, AuditTrail::flush) do not also sync jit.hwm, one sync fewer
// before their answers go (see StoreTx::audit_only).
#pragma once

#include <stdint.h>

#include <optional>
#include <string>

#include "daemon/audit/audit.h"
#include "jit/failure.h"
#include "jit/result.h"
#include "jit/unique_fd.h"

namespace jit::daemon {

class EpochKeyFile {
public:
    static constexpr const char* kName = "audit-epoch.key";
    struct Held {
        uint64_t epoch = 0;
        audit::Secret key;
    };

    // Opens dir/audit-epoch.key, creating it empty (0600) when missing.
    // A failure's message says what failed and why ("cannot open PATH: ...").
    static Result<EpochKeyFile, Failure> open(const std::string& dir);
    // None while the file is empty (before the first write).
    Result<std::optional<Held>, Failure> read() const;
    // The key of `epoch`, over the one before, in place, then fdatasync.
    Result<void, Failure> write(uint64_t epoch, const audit::Secret& key);

private:
    explicit EpochKeyFile(UniqueFd fd) : fd_(std::move(fd)) {}
    UniqueFd fd_;
};

}  // namespace jit::daemon
