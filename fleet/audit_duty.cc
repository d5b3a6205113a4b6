#include "fleet/audit_duty.h"

#include <syslog.h>

#include <nlohmann/json.hpp>

#include "fleet/log.h"
#include "fleet/record.h"
#include "fleet/records.h"
#include "fleet/state_file.h"

namespace jit::fleet {

using nlohmann::json;

namespace {

constexpr int kMaxPagesPerTurn = 20;
// The tree's frontier at the last publication, so a restart reads on from there.
constexpr char kCursorFile[] = "audit-feed.json";
// Published checkpoints are kept a week: a witness that was away less than
// that catches up through every proof in order.
constexpr int64_t kPublicationTtl = 7 * 24 * 3600;

// The host a key under /jit/v1/audit/ or /jit/v1/cosignatures/<w>/ names.
std::string host_of(const std::string& key) {
    std::string rest = key.substr(std::string(kAuditPrefix).size());
    return rest.substr(0, rest.find('/'));
}

}  // namespace

AuditDuty::AuditDuty(const FleetConfig& config, Etcd& etcd, const JitdLink& jitd, EVP_PKEY* key,
                     std::string state_dir, WitnessState witnessed)
    : config_(config),
      etcd_(etcd),
      jitd_(jitd),
      key_(key),
      state_dir_(std::move(state_dir)),
      witness_(std::move(witnessed)) {}

// Where the last publication ended: the largest size under our prefix.
bool AuditDuty::start_feed() {
    auto got = etcd_.get(kAuditPrefix + config_.host + "/", true);
    if (!got.ok()) return false;
    uint64_t published = 0;
    if (!got->kvs.empty()) {
        const std::string& key = got->kvs.back().key;
        published = std::stoull("0" + key.substr(key.rfind('/') + 1));
    }
    // After a restart of jit-fleet: from the last publication on, not the
    // whole history jitd keeps.  Only once: a read that then fails (the
    // record before it removed past audit_max_disk) starts over from the
    // first record kept.
    const bool resumed =
        !cursor_tried_ && published > 0 && resume_feed(published, got->kvs.back().value);
    cursor_tried_ = true;
    if (!resumed) feed_.restart(config_.host, published);
    feed_ready_ = true;
    return true;
}

bool AuditDuty::resume_feed(uint64_t published, const std::string& value) {
    auto text = read_state_file(state_dir_ + "/" + kCursorFile);
    auto env = parse_envelope(value);
    if (!text.ok() || text->empty() || !env.ok()) return false;
    try {
        json doc = json::parse(*text);
        if (doc.at("host").get<std::string>() != config_.host ||
            doc.at("size").get<uint64_t>() != published)
            return false;
        auto bytes = base64_decode(doc.at("frontier").get<std::string>());
        if (!bytes.ok()) return false;
        auto at = audit::Frontier::decode(*bytes);
        json body = json::parse(env->body);
        if (!at || !feed_.resume(config_.host, published, *at, body.at("note").get<std::string>()))
            return false;
    } catch (const json::exception&) {
        return false;
    }
    log_event("fleet-audit-resumed", LOG_INFO,
              "audit feed resumed at the published size " + std::to_string(published),
              {{"JIT_AUDIT_SIZE", std::to_string(published)}});
    return true;
}

void AuditDuty::save_cursor() {
    const std::string cursor = feed_.cursor();
    if (cursor.empty()) return;
    json doc{{"host", config_.host},
             {"size", feed_.published_size()},
             {"frontier", base64_encode(cursor)}};
    // Not fatal: without it the next start reads the kept history again.
    if (auto ok = write_state_file(state_dir_, kCursorFile, doc.dump() + "\n"); !ok.ok())
        log_event("fleet-audit-publish-failed", LOG_WARNING,
                  "cannot save the audit feed's place: " + ok.error().message,
                  {{"JIT_REASON", ok.error().message}});
}

void AuditDuty::publish(int64_t now) {
    if (now < next_try_) return;
    if (!feed_ready_ && !start_feed()) {
        next_try_ = now + 5;
        return;
    }
    auto problem = [&](const std::string& why, int64_t pause) {
        if (why != feed_problem_)
            log_event("fleet-audit-publish-failed", LOG_WARNING,
                      "cannot publish audit checkpoints: " + why, {{"JIT_REASON", why}});
        feed_problem_ = why;
        feed_ready_ = false;
        next_try_ = now + pause;
    };
    for (int pages = 0; pages < kMaxPagesPerTurn; ++pages) {
        auto page = jitd_.audit_read(feed_.next_from());
        if (!page.ok())
            return problem(
                page.error().code == ENOENT ? "jitd keeps no audit log" : page.error().message,
                page.error().code == ENOENT ? 30 : 5);
        size_t start = 0;
        for (size_t nl; (nl = page->text.find('\n', start)) != std::string::npos; start = nl + 1) {
            auto got = feed_.line(std::string_view(page->text).substr(start, nl - start));
            if (!got) return problem("audit log: " + got.error() + "; reading it again", 1);
            if (!*got) continue;
            const Publication& p = **got;
            auto env = seal(key_, "audit-checkpoint", config_.host, publication_body(p));
            auto lease = etcd_.lease_grant(kPublicationTtl);
            auto put = env.ok() && lease.ok()
                           ? etcd_.put(audit_key(p.host, p.size), *env, *lease)
                           : Result<int64_t, Failure>(lease.ok() ? env.error() : lease.error());
            if (!put.ok()) return problem(put.error().message, 2);
            feed_.published(p);
            save_cursor();
            feed_problem_.clear();
            log_event("fleet-audit-published", LOG_INFO,
                      "published audit checkpoint of size " + std::to_string(p.size) +
                          " (consistency proof from size " + std::to_string(p.from) + ")",
                      {{"JIT_AUDIT_SIZE", std::to_string(p.size)},
                       {"JIT_FLEET_KEY", audit_key(p.host, p.size)}});
        }
        if (page->done) break;
    }
}

void AuditDuty::on_put(const std::string& key, const std::string& value, bool live, int64_t now) {
    const std::string host = host_of(key);
    auto trusted = config_.trusted.find(host);
    if (host == config_.host || trusted == config_.trusted.end() || !trusted->second.audit_key)
        return;  // not a log this host witnesses
    auto p = read_publication(config_, key, value);
    Verdict v;
    if (!p.ok())
        v = Verdict{Verdict::Refuse, p.error().message, {}};
    else if (p->host != host)
        v = Verdict{Verdict::Refuse, "signed by " + p->host + ", not by " + host, {}};
    else
        v = witness_.check(config_, *p, live);
    if (v.kind == Verdict::Ignore) return;
    if (v.kind == Verdict::Refuse) {
        log_event("fleet-audit-refused", LOG_CRIT,
                  "witness refuses " + host + "'s audit checkpoint " + key + ": " + v.reason,
                  {{"JIT_FLEET_HOST", host},
                   {"JIT_FLEET_KEY", key},
                   {"JIT_AUDIT_SIZE", p.ok() ? std::to_string(p->size) : ""},
                   {"JIT_REASON", v.reason}});
        return;
    }
    if (auto s = save_witness_state(state_dir_, witness_.state()); !s.ok())
        log_event("fleet-state-failed", LOG_ERR, s.error().message);
    cosign(host, v, p->note, now);
}

// Queued: the loop puts it (retry), so a resync that checks a week of
// history puts only the newest cosignature per host.
void AuditDuty::cosign(const std::string& host, const Verdict& v, const std::string& note,
                       int64_t now) {
    auto env =
        seal(key_, "cosignature", config_.host, cosignature_body(host, v.checkpoint, note, now));
    if (!env.ok()) return log_event("fleet-audit-refused", LOG_ERR, env.error().message);
    unsent_[kCosignaturesPrefix + config_.host + "/" + host] = *env;
    log_event("fleet-audit-cosigned", LOG_INFO,
              "co-signs " + host + "'s audit checkpoint of size " +
                  std::to_string(v.checkpoint.size) + " (" + v.reason + ")",
              {{"JIT_FLEET_HOST", host}, {"JIT_AUDIT_SIZE", std::to_string(v.checkpoint.size)}});
}

void AuditDuty::retry(int64_t) {
    for (auto it = unsent_.begin(); it != unsent_.end();) {
        if (!etcd_.put(it->first, it->second).ok()) return;  // the loop journals etcd trouble
        it = unsent_.erase(it);
    }
}

}  // namespace jit::fleet
