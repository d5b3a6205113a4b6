// Durable state: SQLite in the state directory (WAL, synchronous=FULL).
// Every write returns only after it is on disk, so jitd acknowledges nothing
// that a crash could lose.  No sockets, no clocks, no logging here.
#pragma once

#include <stddef.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/events/journal.h"
#include "daemon/model/grant.h"
#include "daemon/model/session.h"
#include "daemon/model/nss_account.h"
#include "jit/failure.h"
#include "jit/result.h"
#include "jit/unique_fd.h"

struct sqlite3;

namespace jit::daemon::sql {
class StatementCache;
}

namespace jit::daemon {

class Store;
class StoreTx;

// The audit log's hook on every write transaction (see daemon/trail): just
// before COMMIT it appends the transaction's entries, after any records
// still waiting, inside the transaction, so a state change and its audit
// record commit together or not at all.
class TxAuditor {
public:
    virtual ~TxAuditor() = default;
    // Inside tx, before COMMIT.  seqs[i] receives entry i's sequence number
    // (none when the log is off).  A failure rolls the transaction back.
    virtual Result<void, Failure> stage(StoreTx& tx, const std::vector<JournalEntry>& entries,
                                        std::vector<std::optional<uint64_t>>& seqs) = 0;
    // After stage, once COMMIT has run: what was staged is durable (outcome
    // holds no error) or gone (the error says why).
    virtual void settle(const Result<void, Failure>& outcome) = 0;
};

// A write transaction on the store's connection (BEGIN IMMEDIATE), for a
// change that spans table families: a request's approval and the grant it
// creates commit together or not at all.  Rolled back unless commit()
// succeeds; the actions registered with after_commit() run, in order, once
// it has (so what follows a write, such as events, follows only a durable one).
//
// Inside a group (Store::begin_group) the transaction is a savepoint of the
// group's: commit() releases it and hands its audit entries and actions to
// the group, which makes every member durable with one COMMIT (one WAL sync,
// one high-water mark) in Store::commit_group(), or none of them.  A member
// that fails rolls back to its savepoint alone.
class StoreTx {
public:
    explicit StoreTx(Store& store);
    ~StoreTx();
    StoreTx(const StoreTx&) = delete;
    StoreTx& operator=(const StoreTx&) = delete;

    Result<void, Failure> begin();
    // Durable on success, audit records included; then runs the after-commit
    // actions.  ENOTRECOVERABLE: committed but not confirmed durable (the
    // high-water mark could not be written); the actions have run, and every
    // later begin() fails until jitd restarts.  In a group: the savepoint is
    // released, and durability (and the actions) wait for commit_group().
    Result<void, Failure> commit();
    void after_commit(std::function<void()> action) { after_.push_back(std::move(action)); }
    // Run only for a member of a group whose commit failed, with why: code
    // EIO (rolled back: nothing of it is in jit.db) or ENOTRECOVERABLE (in
    // jit.db, the after-commit actions have run, not confirmed durable).  For
    // the journal: the member's answer already went as a success to nobody.
    void if_lost(std::function<void(const Failure& why)> action) {
        lost_.push_back(std::move(action));
    }
    // An entry this change journals once committed: the store's auditor
    // appends it to the audit log in this transaction.  Returns its slot.
    size_t audit(JournalEntry entry);
    // After commit: the entry's sequence number in the audit log, if any.
    std::optional<uint64_t> audit_seq(size_t slot) const;
    // The same, readable after this object is gone (for an after-commit
    // action of a group member, which runs once the group commits).
    std::function<std::optional<uint64_t>()> audit_seq_later(size_t slot) const;
    // For the audit log's own transactions (AuditTrail::flush), which write
    // its tables alone: their commit leaves jit.hwm as it is.  A jit.db
    // rolled back behind them is refused at start by the audit log's own
    // mark, audit-epoch.key (written and synced after each commit that moves
    // the log on, before an answer that waits for it goes), so a second sync
    // per commit would guard them twice.  Ignored when the transaction
    // carries entries or actions (a state change): those are marked.
    void audit_only() { audit_only_ = true; }
    // With audit_only, before begin(): the commit is not synced (PRAGMA
    // synchronous=NORMAL for it; SQLite still syncs the WAL before a
    // checkpoint, so jit.db stays consistent, and the next synced commit
    // makes it durable with itself).  For the audit log's housekeeping that
    // records nothing and that a crash may undo (dropping rows already
    // sealed into a file): no waiting audit record joins it (the store's
    // auditor is left out), and a transaction that turns out to carry a
    // state change is refused at commit (EINVAL), never committed unsynced.
    void sync_later() { sync_later_ = true; }
    Store& store() const { return store_; }
    // EINVAL unless this transaction is open on store (for the writers).
    Result<void, Failure> check(const Store& store) const;

private:
    friend class Store;
    // Where the sequence numbers land: this transaction's own, or, once a
    // member is released into its group, the group's (from offset on).
    struct Seqs {
        std::shared_ptr<std::vector<std::optional<uint64_t>>> at =
            std::make_shared<std::vector<std::optional<uint64_t>>>();
        size_t offset = 0;
    };
    void close_committed();         // settles the audit records; runs the after-commit actions
    void join(StoreTx& group);      // a released member hands its work to the group
    void lose(const Failure& why);  // runs the if_lost actions

    Store& store_;
    bool open_ = false;
    bool member_ = false;  // a savepoint of the store's group
    bool group_ = false;   // the group's own transaction (Store::begin_group)
    bool audit_only_ = false;
    bool sync_later_ = false;
    bool relaxed_ = false;  // synchronous=NORMAL until restore_sync()
    void restore_sync();
    std::vector<std::function<void()>> after_;
    std::vector<std::function<void(const Failure&)>> lost_;
    std::vector<JournalEntry> entries_;
    std::shared_ptr<Seqs> seqs_;
};

class HighWater;

class Store {
public:
    // Creates the state directory (0700) if it is missing, refuses it if it is
    // a symlink, not a directory, not owned by the current euid, or accessible
    // to group or others; opens (creating) jit.db inside it without following
    // symlinks, and migrates the schema to the current version.
    // A failure's message says what the OS or SQLite said, for the caller's
    // log line.  A database behind the high-water mark (see high_water.h) is
    // refused with EUCLEAN; recover accepts it as it is (jitd --recover).
    static Result<std::unique_ptr<Store>, Failure> open(const std::string& state_dir,
                                                        bool recover = false);
    // For readers beside a live jitd (jit-sweep): opens jit.db read-only,
    // takes no lock, migrates nothing, and refuses a schema version other than
    // this build's.  WAL lets it read while jitd writes.
    static Result<std::unique_ptr<Store>, Failure> open_read_only(const std::string& state_dir);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    static constexpr int kSchemaVersion = 8;
    int schema_version() const;

    // ---- grants (grant_store.cc) ----
    // The writers run inside tx and only the grant ledger calls them.
    // EEXIST if the id is already taken (tx stays usable for another id).
    Result<void, Failure> insert_grant(StoreTx& tx, const Grant& grant);
    // Moves an Active grant to Expired or Revoked, recording when, by whom and
    // why.  ENOENT if no such grant, EALREADY if it is no longer Active.
    Result<void, Failure> end_grant(StoreTx& tx, const std::string& id, GrantState state, Time at,
                                    std::optional<uid_t> by, const std::string& reason);
    // Takes one use of a use-limited grant.  Returns the uses left; EDQUOT
    // when none was left, ENOENT when the grant has no use limit.
    Result<uint32_t, Failure> consume_use(StoreTx& tx, const std::string& grant_id);

    // Every grant in state Active (including ones not yet started or already
    // past not_after but not yet marked), oldest first.
    Result<std::vector<Grant>, Failure> active_grants();

    // Grants for one user (or all when user is empty), newest first, at most
    // limit; ended grants only when include_ended.
    Result<std::vector<Grant>, Failure> list_grants(const std::string& user, bool include_ended,
                                                    size_t limit);

    Result<bool, Failure> grant_id_exists(const std::string& id);
    // Every grant in a state; with Active, every grant that may cover a
    // session now.  Used by jit-sweep, which trusts no in-memory view.
    Result<std::vector<Grant>, Failure> grants_in_state(GrantState state);

    // ---- sessions (session_store.cc) ----
    // Durable on success.  EEXIST if the id is already taken.
    Result<void, Failure> insert_session(const Session& session);
    // Moves the session to the grant that covers it now.
    Result<void, Failure> rebind_session(const std::string& id, const std::string& grant_id);
    // Records the session's end.  Open may become anything; Closed may become
    // Terminated or Gone.  EALREADY when it had already reached that state or
    // an end state, ENOENT when there is no such session.
    Result<void, Failure> end_session(const std::string& id, SessionState state, Time at,
                                      const std::string& reason);
    Result<void, Failure> mark_warned(const std::string& id, Time end);
    // Sessions whose processes may still run: Open ones, and Closed,
    // Terminated or Refused ones that ended at or after `since` (a closed
    // session can leave processes behind).  Oldest first.
    Result<std::vector<Session>, Failure> sessions_to_watch(Time since);
    Result<std::vector<Session>, Failure> list_sessions(const std::string& user, bool include_ended,
                                                        size_t limit);

    // The highest wall-clock time jitd has seen, kept across restarts so a
    // backward clock step cannot revive an expired grant.  0 when never set.
    Result<Time, Failure> clock_floor();
    // Raises the floor to t (never lowers it).
    Result<void, Failure> raise_clock_floor(Time t);
    // Sets the floor to t, lower or not: only for an administrator who knows
    // the clock that raised it was wrong (jitd --reset-clock-floor).
    Result<void, Failure> reset_clock_floor(Time t);
    // ---- NSS accounts and jit groups (store_accounts.cc) ----
    enum class IdKind { Uid = 1, Gid = 2 };
    // Every account (with its standing groups) and every jit group, by name.
    Result<std::vector<NssAccount>, Failure> nss_accounts();
    Result<std::vector<NssGroup>, Failure> nss_groups();
    // The id the ledger holds for a name, if it ever allocated one.
    Result<std::optional<uint32_t>, Failure> ledger_id(IdKind kind, const std::string& name);
    // Every ledger id of a kind within [first, last], ascending.
    Result<std::vector<uint32_t>, Failure> ledger_ids(IdKind kind, uint32_t first, uint32_t last);
    // One transaction each.  Ids are recorded in the ledger under the name;
    // EEXIST when the name is taken or the ledger gives an id to another name.
    Result<void, Failure> insert_nss_account(const NssAccount& account);
    // Rewrites an existing account's record and standing groups (ENOENT if
    // absent); its uid and gid cannot change.
    Result<void, Failure> update_nss_account(const NssAccount& account);
    // ENOENT if absent.  The ledger keeps its ids.
    Result<void, Failure> delete_nss_account(const std::string& name);
    Result<void, Failure> insert_nss_group(const NssGroup& group);

    // What the connection really runs with, read back from SQLite: for the
    // startup log line and for tests of the durability promise.
    struct Settings {
        std::string journal_mode;  // "wal"
        int synchronous = -1;      // 2 = FULL
        bool foreign_keys = false;
        int busy_timeout_ms = 0;
    };
    Result<Settings, Failure> settings();

    // ---- group commit ----
    // Opens one write transaction that the StoreTxs begun until
    // commit_group() join as savepoints.  The caller runs nothing else that
    // writes in between (no other transaction may begin inside it).
    Result<void, Failure> begin_group();
    bool in_group() const { return group_ != nullptr; }
    // Members released into the open group so far.
    size_t group_members() const { return group_members_; }
    // Commits the group: every member durable (one WAL sync, one high-water
    // mark), then their after-commit actions, in order.  On failure none is
    // acknowledged: EIO and the like, rolled back; ENOTRECOVERABLE, in
    // jit.db but not confirmed durable, as StoreTx::commit.  Either way the
    // members' if_lost actions run, told why.
    Result<void, Failure> commit_group();

    // Brings jit.hwm up to jit.db now, for a commit made with
    // StoreTx::audit_only whose other mark could not be written.  A failure
    // is a failed mark's: writes refused until jitd restarts.
    Result<void, Failure> mark_high_water();

    // The audit log's hook on every StoreTx (null: none).  Not owned.
    void set_auditor(TxAuditor* auditor) { auditor_ = auditor; }
    TxAuditor* auditor() const { return auditor_; }

    // Hands back the page cache's unused pages: a start reads every page of
    // the grant tables once, and SQLite would keep up to its cache size of
    // them (2 MB) that a running jitd seldom reads again.  Pages read later
    // come back into the cache as before.
    void release_cache();

    // What opening repaired or found, for the caller to journal: loose file
    // modes set to 0600, a high-water mark started or a state accepted.
    const std::vector<std::string>& open_notices() const { return notices_; }

private:
    friend class RequestStore;  // requests share the connection and its transactions
    friend class AuditStore;    // so do audit records
    friend class StoreTx;
    explicit Store(sqlite3* db);
    sqlite3* db_;
    int schema_version_ = 0;
    UniqueFd lock_;                          // flock on jitd.lock: one jitd per state directory
    std::unique_ptr<HighWater> high_water_;  // its commit hook points here: outlives db_ use
    std::vector<std::string> notices_;
    TxAuditor* auditor_ = nullptr;
    std::unique_ptr<StoreTx> group_;  // the open group's transaction
    size_t group_members_ = 0;
    // The hot statements (grants' reads and writes, audit records), each
    // prepared once; gone before db_.
    std::unique_ptr<sql::StatementCache> statements_;
};

}  // namespace jit::daemon
