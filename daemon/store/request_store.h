// Durable requests, approvals and the risk baseline, in jitd's SQLite
// database (the Store's connection).  A change that creates a grant is
// written inside the caller's StoreTx, the one the grant ledger writes the
// grant in, so a crash can never leave an approved request without its
// grant, or a grant whose request still looks pending.
#pragma once

#include <stddef.h>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "daemon/model/request.h"
#include "daemon/policy/risk.h"
#include "daemon/store/store.h"

namespace jit::daemon {

class RequestStore {
public:
    explicit RequestStore(Store& store) : store_(store) {}

    // A new pending request, in a transaction of its own or inside tx (the
    // one that carries its audit record).  EEXIST if the id is taken.
    Result<void, Failure> insert(const Request& r);
    Result<void, Failure> insert(StoreTx& tx, const Request& r);
    // A request approved at once (auto or implicit), inside tx (which holds
    // its grant, r.grant_id).
    Result<void, Failure> insert_approved(StoreTx& tx, const Request& r);
    // One approval on a request that stays pending; r carries the request's
    // (possibly narrowed) scope.  EEXIST if this approver already decided.
    Result<void, Failure> add_approval(const Request& r, const Approval& a);
    Result<void, Failure> add_approval(StoreTx& tx, const Request& r, const Approval& a);
    // The approval that completes r, inside tx (which holds its grant): the
    // vote and the request's move to approved.  EALREADY if r is no longer
    // pending.
    Result<void, Failure> approve(StoreTx& tx, const Request& r, const Approval& a);
    // Moves r from pending to denied, expired or cancelled, with the denial
    // vote when there is one.  EALREADY if r is no longer pending.
    Result<void, Failure> finish(const Request& r, const Approval* vote);
    Result<void, Failure> finish(StoreTx& tx, const Request& r, const Approval* vote);

    // Whether a workload token with these replay keys was spent and is still
    // remembered at now (a request or grant it made wrote them).
    Result<bool, Failure> token_spent(const std::vector<std::string>& keys, Time now);

    // Remembers keys until `until` in a transaction of its own; EALREADY
    // (nothing written) when one is remembered already.
    Result<void, Failure> spend(const std::vector<std::string>& keys, Time until, Time now);
    // The request a workload token (by its digest) made, if any.
    Result<std::optional<Request>, Failure> find_by_token(const std::string& digest);

    Result<std::vector<Request>, Failure> pending();
    Result<std::optional<Request>, Failure> find(const std::string& id);
    // Newest first; user empty: everyone.
    Result<std::vector<Request>, Failure> list(const std::string& user, bool pending_only,
                                               size_t limit);
    // Requests and implicit grants created at or after since (rule empty: any).
    Result<size_t, Failure> count_since(const std::string& rule, const std::string& user,
                                        Time since);
    struct GrantOrigin {
        std::string grant_id, rule, request_id;
    };
    // Where each active grant that came from a request or a rule came from;
    // ended grants' requests stay on disk (history is never loaded whole).
    Result<std::vector<GrantOrigin>, Failure> grant_origins();

    Result<std::vector<std::pair<std::string, Baseline>>, Failure> baselines();
    // Adds count to (user, kind, value), creating it.  kind: "source" or "hour".
    Result<void, Failure> observe(const std::string& user, const char* kind,
                                  const std::string& value, uint32_t count, Time at);

private:
    // Runs write in a StoreTx of its own and commits it.
    Result<void, Failure> in_own_tx(const std::function<Result<void, Failure>(StoreTx&)>& write);
    Result<void, Failure> write_request(const Request& r);
    Result<void, Failure> write_approval(const Approval& a);
    Result<void, Failure> move_state(const Request& r);
    Result<void, Failure> load_approvals(std::vector<Request>& requests);

    Store& store_;
};

}  // namespace jit::daemon
