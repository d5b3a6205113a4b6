#include "daemon/store/request_store.h"

#include <errno.h>

#include "daemon/store/identity_rows.h"
#include "daemon/store/scope_rows.h"
#include "daemon/store/sqlite_util.h"

namespace jit::daemon {

namespace {

using sql::Statement;
using sql::Transaction;

#define JIT_REQUEST_COLUMNS                                                               \
    "id, kind, user, services, source, not_before, duration, start_on_approval, reason, " \
    "ticket, requester, rule, required, approver_groups, risk, created, expires, state, " \
    "decided_at, decided_by, comment, grant_id"

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : ",") + s;
    return out;
}

std::vector<std::string> split(const std::string& text) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t comma = text.find(',', pos);
        if (comma == std::string::npos) comma = text.size();
        out.push_back(text.substr(pos, comma - pos));
        pos = comma + 1;
    }
    return out;
}

std::optional<int64_t> column_maybe(const Statement& q, int c) {
    if (q.column_null(c)) return std::nullopt;
    return q.column_int(c);
}

Request read_row(const Statement& q) {
    Request r;
    r.id = q.column_text(0);
    r.kind = q.column_text(1) == "implicit" ? RequestKind::Implicit : RequestKind::Request;
    r.user = q.column_text(2);
    r.services = split(q.column_text(3));
    r.source = q.column_text(4);
    r.not_before = q.column_int(5);
    r.duration = uint64_t(q.column_int(6));
    r.start_on_approval = q.column_int(7) != 0;
    r.reason = q.column_text(8);
    r.ticket = q.column_text(9);
    r.requester = uid_t(q.column_int(10));
    r.rule = q.column_text(11);
    r.required = uint32_t(q.column_int(12));
    r.approver_groups = split(q.column_text(13));
    r.risk = split(q.column_text(14));
    r.created = q.column_int(15);
    r.expires = q.column_int(16);
    r.state = RequestState(q.column_int(17));
    r.decided_at = column_maybe(q, 18);
    if (auto by = column_maybe(q, 19)) r.decided_by = uid_t(*by);
    r.comment = q.column_text(20);
    r.grant_id = q.column_text(21);
    return r;
}

}  // namespace

// Records SQLite's words and returns an errno-style error.
#define JIT_FAIL(rc, what)                                                                         \
    do {                                                                                           \
        return Failure(sql::errno_for(rc), std::string(what) + ": " + sqlite3_errmsg(store_.db_)); \
    } while (0)

Result<void, Failure> RequestStore::write_request(const Request& r) {
    Statement q(store_.db_, "INSERT INTO requests (" JIT_REQUEST_COLUMNS
                            ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
                            "?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)");
    const std::string kind = r.kind == RequestKind::Implicit ? "implicit" : "request";
    const std::string services = join(r.services), groups = join(r.approver_groups),
                      risk = join(r.risk);
    std::optional<int64_t> by;
    if (r.decided_by) by = *r.decided_by;
    q.text(1, r.id).text(2, kind).text(3, r.user).text(4, services).text(5, r.source);
    q.integer(6, r.not_before).integer(7, int64_t(r.duration)).integer(8, r.start_on_approval);
    q.text(9, r.reason).text(10, r.ticket).integer(11, r.requester).text(12, r.rule);
    q.integer(13, r.required).text(14, groups).text(15, risk).integer(16, r.created);
    q.integer(17, r.expires).integer(18, int64_t(r.state)).maybe_integer(19, r.decided_at);
    q.maybe_integer(20, by).text(21, r.comment);
    if (r.grant_id.empty())
        q.maybe_integer(22, std::nullopt);
    else
        q.text(22, r.grant_id);
    int rc = q.step();
    if (rc != SQLITE_DONE) JIT_FAIL(rc, "cannot insert request");
    if (auto ok = sql::insert_identity(*store_.statements_, "request", r.id, r.identity); !ok)
        return ok;
    // The token is spent with the request it made, in the same transaction.
    if (!r.spent_keys.empty())
        if (auto ok = sql::spend_token(store_.db_, r.spent_keys, r.spent_until, r.created); !ok)
            return ok;
    return sql::insert_scope(*store_.statements_, "request", r.id, r.commands, r.runas);
}

Result<void, Failure> RequestStore::write_approval(const Approval& a) {
    Statement q(store_.db_,
                "INSERT INTO approvals (request_id, approver, verdict, at, comment, duration) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    std::optional<int64_t> d;
    if (a.duration) d = int64_t(*a.duration);
    int rc = q.text(1, a.request_id)
                 .integer(2, a.approver)
                 .integer(3, int64_t(a.verdict))
                 .integer(4, a.at)
                 .text(5, a.comment)
                 .maybe_integer(6, d)
                 .step();
    if (rc != SQLITE_DONE) JIT_FAIL(rc, "cannot record the approval");
    return {};
}

// The conditional move out of pending, with the scope an approver narrowed.
Result<void, Failure> RequestStore::move_state(const Request& r) {
    Statement q(store_.db_,
                "UPDATE requests SET state = ?1, decided_at = ?2, decided_by = ?3, comment = ?4, "
                "grant_id = ?5, services = ?6, source = ?7, not_before = ?8, duration = ?9 "
                "WHERE id = ?10 AND state = ?11");
    std::optional<int64_t> by;
    if (r.decided_by) by = *r.decided_by;
    const std::string services = join(r.services);
    q.integer(1, int64_t(r.state))
        .maybe_integer(2, r.decided_at)
        .maybe_integer(3, by)
        .text(4, r.comment);
    if (r.grant_id.empty())
        q.maybe_integer(5, std::nullopt);
    else
        q.text(5, r.grant_id);
    q.text(6, services).text(7, r.source).integer(8, r.not_before);
    q.integer(9, int64_t(r.duration)).text(10, r.id).integer(11, int64_t(RequestState::Pending));
    int rc = q.step();
    if (rc != SQLITE_DONE) JIT_FAIL(rc, "cannot update request");
    if (sqlite3_changes(store_.db_) != 1) {
        return Failure(EALREADY, "request " + r.id + " is no longer pending");
    }
    return {};
}

Result<void, Failure> RequestStore::in_own_tx(
    const std::function<Result<void, Failure>(StoreTx&)>& write) {
    StoreTx tx(store_);
    if (auto begun = tx.begin(); !begun) return begun;
    if (auto ok = write(tx); !ok) return ok;
    if (auto done = tx.commit(); !done) return done;
    return {};
}

Result<void, Failure> RequestStore::insert(const Request& r) {
    return in_own_tx([&](StoreTx& tx) { return insert(tx, r); });
}

Result<void, Failure> RequestStore::insert(StoreTx& tx, const Request& r) {
    if (auto open = tx.check(store_); !open) return open;
    return write_request(r);
}

Result<void, Failure> RequestStore::insert_approved(StoreTx& tx, const Request& r) {
    if (auto open = tx.check(store_); !open) return open;
    return write_request(r);
}

Result<void, Failure> RequestStore::add_approval(const Request& r, const Approval& a) {
    return in_own_tx([&](StoreTx& tx) { return add_approval(tx, r, a); });
}

Result<void, Failure> RequestStore::add_approval(StoreTx& tx, const Request& r, const Approval& a) {
    if (auto open = tx.check(store_); !open) return open;
    if (auto ok = write_approval(a); !ok) return ok;
    // Narrowing is written with the vote; the request stays pending.
    Statement q(store_.db_,
                "UPDATE requests SET services = ?1, source = ?2, duration = ?3 "
                "WHERE id = ?4 AND state = ?5");
    const std::string services = join(r.services);
    int rc = q.text(1, services)
                 .text(2, r.source)
                 .integer(3, int64_t(r.duration))
                 .text(4, r.id)
                 .integer(5, int64_t(RequestState::Pending))
                 .step();
    if (rc != SQLITE_DONE) JIT_FAIL(rc, "cannot update request");
    if (sqlite3_changes(store_.db_) != 1) {
        return Failure(EALREADY, "request " + r.id + " is no longer pending");
    }
    return {};
}

Result<void, Failure> RequestStore::approve(StoreTx& tx, const Request& r, const Approval& a) {
    if (auto open = tx.check(store_); !open) return open;
    if (auto ok = write_approval(a); !ok) return ok;
    return move_state(r);
}

Result<void, Failure> RequestStore::finish(const Request& r, const Approval* vote) {
    return in_own_tx([&](StoreTx& tx) { return finish(tx, r, vote); });
}

Result<void, Failure> RequestStore::finish(StoreTx& tx, const Request& r, const Approval* vote) {
    if (auto open = tx.check(store_); !open) return open;
    if (vote)
        if (auto ok = write_approval(*vote); !ok) return ok;
    return move_state(r);
}

Result<void, Failure> RequestStore::load_approvals(std::vector<Request>& requests) {
    Statement q(store_.db_,
                "SELECT approver, verdict, at, comment, duration FROM approvals "
                "WHERE request_id = ?1 ORDER BY rowid");
    for (auto& r : requests) {
        q.reset();
        q.text(1, r.id);
        int rc;
        while ((rc = q.step()) == SQLITE_ROW) {
            Approval a;
            a.request_id = r.id;
            a.approver = uid_t(q.column_int(0));
            a.verdict = Verdict(q.column_int(1));
            a.at = q.column_int(2);
            a.comment = q.column_text(3);
            if (auto d = column_maybe(q, 4)) a.duration = uint64_t(*d);
            r.approvals.push_back(std::move(a));
        }
        if (rc != SQLITE_DONE) JIT_FAIL(rc, "cannot read approvals");
        if (auto ok = sql::read_scope(*store_.statements_, "request", r.id, &r.commands, &r.runas);
            !ok)
            return ok.error();
        if (auto ok = sql::read_identity(*store_.statements_, "request", r.id, &r.identity); !ok)
            return ok.error();
    }
    return {};
}

Result<bool, Failure> RequestStore::token_spent(const std::vector<std::string>& keys, Time now) {
    return sql::token_spent(store_.db_, keys, now);
}

Result<std::vector<Request>, Failure> RequestStore::pending() {
    return list("", true, size_t(1) << 30);
}

Result<std::optional<Request>, Failure> RequestStore::find(const std::string& id) {
    Transaction tx(store_.db_);
    int rc = tx.begin_read();
    if (rc != SQLITE_OK) JIT_FAIL(rc, "cannot read jit.db");
    Statement q(store_.db_, "SELECT " JIT_REQUEST_COLUMNS " FROM requests WHERE id = ?1");
    rc = q.text(1, id).step();
    if (rc == SQLITE_DONE) return std::optional<Request>();
    if (rc != SQLITE_ROW) JIT_FAIL(rc, "cannot read request");
    std::vector<Request> one{read_row(q)};
    if (auto ok = load_approvals(one); !ok) return ok.error();
    return std::optional<Request>(std::move(one[0]));
}

Result<void, Failure> RequestStore::spend(const std::vector<std::string>& keys, Time until,
                                          Time now) {
    Transaction tx(store_.db_);
    int rc = tx.begin_write();
    if (rc != SQLITE_OK) JIT_FAIL(rc, "cannot lock jit.db");
    if (auto ok = sql::spend_token(store_.db_, keys, until, now); !ok) return ok;
    rc = tx.commit();
    if (rc != SQLITE_OK) JIT_FAIL(rc, "cannot commit a spent token");
    return {};
}

Result<std::optional<Request>, Failure> RequestStore::find_by_token(const std::string& digest) {
    std::string id;
    {
        Statement q(store_.db_,
                    "SELECT request_id FROM request_identity WHERE token_digest = ?1 LIMIT 1");
        int rc = q.text(1, digest).step();
        if (rc == SQLITE_DONE) return std::optional<Request>();
        if (rc != SQLITE_ROW) JIT_FAIL(rc, "cannot read request identities");
        id = q.column_text(0);
    }
    return find(id);
}

Result<std::vector<Request>, Failure> RequestStore::list(const std::string& user, bool pending_only,
                                                         size_t limit) {
    Transaction tx(store_.db_);
    int rc = tx.begin_read();
    if (rc != SQLITE_OK) JIT_FAIL(rc, "cannot read jit.db");
    Statement q(store_.db_, "SELECT " JIT_REQUEST_COLUMNS
                            " FROM requests WHERE (?1 = '' OR user = ?1) AND (?2 = 0 OR state = ?3)"
                            " ORDER BY created DESC, rowid DESC LIMIT ?4");
    q.text(1, user).integer(2, pending_only).integer(3, int64_t(RequestState::Pending));
    q.integer(4, int64_t(std::min<size_t>(limit, size_t(INT64_MAX))));
    std::vector<Request> out;
    while ((rc = q.step()) == SQLITE_ROW) out.push_back(read_row(q));
    if (rc != SQLITE_DONE) JIT_FAIL(rc, "cannot read requests");
    if (auto ok = load_approvals(out); !ok) return ok.error();
    return out;
}

Result<size_t, Failure> RequestStore::count_since(const std::string& rule, const std::string& user,
                                                  Time since) {
    Statement q(store_.db_,
                "SELECT count(*) FROM requests WHERE user = ?1 AND created >= ?2 "
                "AND (?3 = '' OR rule = ?3)");
    int rc = q.text(1, user).integer(2, since).text(3, rule).step();
    if (rc != SQLITE_ROW) JIT_FAIL(rc, "cannot count requests");
    return size_t(q.column_int(0));
}

Result<std::vector<RequestStore::GrantOrigin>, Failure> RequestStore::grant_origins() {
    // Oldest last, so the oldest request naming a grant is the one kept.
    Statement q(
        store_.db_,
        "SELECT r.grant_id, r.rule, r.id FROM requests r JOIN grants g ON g.id = r.grant_id "
        "WHERE g.state = ?1 ORDER BY r.created DESC, r.rowid DESC");
    q.integer(1, int64_t(GrantState::Active));
    std::vector<GrantOrigin> out;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW)
        out.push_back({q.column_text(0), q.column_text(1), q.column_text(2)});
    if (rc != SQLITE_DONE) JIT_FAIL(rc, "cannot read grant origins");
    return out;
}

Result<std::vector<std::pair<std::string, Baseline>>, Failure> RequestStore::baselines() {
    Statement q(store_.db_,
                "SELECT user, kind, value, count FROM risk_baseline ORDER BY user, kind, value");
    std::vector<std::pair<std::string, Baseline>> out;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
        std::string user = q.column_text(0);
        if (out.empty() || out.back().first != user) out.emplace_back(user, Baseline{});
        Baseline& b = out.back().second;
        std::string value = q.column_text(2);
        if (q.column_text(1) == "source") {
            b.sources.insert(value);
        } else if (value.size() == 2 && value >= "00" && value <= "23") {
            auto n = uint32_t(q.column_int(3));
            b.hours[size_t(std::stoi(value))] += n;
            b.observations += n;
        }
    }
    if (rc != SQLITE_DONE) JIT_FAIL(rc, "cannot read the risk baseline");
    return out;
}

Result<void, Failure> RequestStore::observe(const std::string& user, const char* kind,
                                            const std::string& value, uint32_t count, Time at) {
    Statement q(store_.db_,
                "INSERT INTO risk_baseline (user, kind, value, count, first_seen, last_seen) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT (user, kind, value) DO UPDATE SET "
                "count = count + excluded.count, last_seen = excluded.last_seen");
    const std::string k = kind;
    int rc = q.text(1, user).text(2, k).text(3, value).integer(4, count).integer(5, at).step();
    if (rc != SQLITE_DONE) JIT_FAIL(rc, "cannot record the risk baseline");
    return {};
}

#undef JIT_FAIL
#undef JIT_REQUEST_COLUMNS

}  // namespace jit::daemon
