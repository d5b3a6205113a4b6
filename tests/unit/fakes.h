// Test doubles for the injected parts of jitd's pure logic: a clock that
// stands still until told, a journal that remembers, an account directory
// made of a few maps.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "daemon/policy/managed.h"
#include "daemon/model/grant.h"
#include "daemon/events/journal.h"

namespace jit::testing {

class FakeClock : public daemon::Clock {
public:
    explicit FakeClock(daemon::Time t = 1'800'000'000) : t_(t) {}
    daemon::Time now() const override { return t_; }
    void set(daemon::Time t) { t_ = t; }
    void advance(daemon::Time d) { t_ += d; }

private:
    daemon::Time t_;
};

struct JournalEntry {
    daemon::Event event;
    int priority;
    std::string message;
    daemon::Fields fields;
    std::string field(const std::string& key) const {
        for (const auto& [k, v] : fields)
            if (k == key) return v;
        return "<absent>";
    }
};

class RecordingJournal : public daemon::Journal {
public:
    void record(daemon::Event event, int priority, const std::string& message,
                const daemon::Fields& fields) override {
        entries.push_back({event, priority, message, fields});
    }
    std::vector<JournalEntry> of(daemon::Event e) const {
        std::vector<JournalEntry> out;
        for (const auto& x : entries)
            if (x.event == e) out.push_back(x);
        return out;
    }
    std::vector<JournalEntry> entries;
};

class FakeDirectory : public daemon::AccountDirectory {
public:
    Result<std::optional<daemon::UserInfo>> user(const std::string& name) const override {
        if (failing) return make_error(EIO, "lookup failed");
        auto it = users.find(name);
        if (it == users.end()) return std::optional<daemon::UserInfo>();
        return std::optional<daemon::UserInfo>(it->second);
    }
    Result<std::optional<gid_t>> group(const std::string& name) const override {
        if (failing) return make_error(EIO, "lookup failed");
        auto it = groups.find(name);
        if (it == groups.end()) return std::optional<gid_t>();
        return std::optional<gid_t>(it->second);
    }
    std::map<std::string, daemon::UserInfo> users;
    std::map<std::string, gid_t> groups;
    bool failing = false;
};

}  // namespace jit::testing
