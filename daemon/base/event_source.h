// RAII for sd-event sources: disabled and released together, so a callback
// can never fire for an object that is gone.
#pragma once

#include <memory>

#include <systemd/sd-event.h>

namespace jit::daemon {

struct EventSourceDeleter {
    void operator()(sd_event_source* s) const { sd_event_source_disable_unref(s); }
};
using EventSource = std::unique_ptr<sd_event_source, EventSourceDeleter>;

struct EventDeleter {
    void operator()(sd_event* e) const { sd_event_unref(e); }
};
using EventLoopPtr = std::unique_ptr<sd_event, EventDeleter>;

}  // namespace jit::daemon
