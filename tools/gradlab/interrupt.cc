// The handler only stores to a lock-free atomic, the one thing a signal handler may safely do;
// SA_RESETHAND restores the default action, so a second Ctrl-C ends a process that does not stop.
#include "interrupt.h"

#include <atomic>
#include <csignal>

namespace gradlab::cli {
namespace {

std::atomic<int> g_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);

struct sigaction g_previous_int, g_previous_term;

extern "C" void on_signal(int signal) {
  int expected = 0;
  g_signal.compare_exchange_strong(expected, signal);
}

}  // namespace

InterruptGuard::InterruptGuard() {
  g_signal = 0;
  struct sigaction action = {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND;
  sigaction(SIGINT, &action, &g_previous_int);
  sigaction(SIGTERM, &action, &g_previous_term);
}

InterruptGuard::~InterruptGuard() {
  sigaction(SIGINT, &g_previous_int, nullptr);
  sigaction(SIGTERM, &g_previous_term, nullptr);
  g_signal = 0;
}

bool interrupt_requested() { return g_signal.load(std::memory_order_relaxed) != 0; }

int interrupt_signal() { return g_signal.load(std::memory_order_relaxed); }

Interrupted::Interrupted(const std::string& message)
    : Error(message), status_(128 + (interrupt_signal() != 0 ? interrupt_signal() : SIGINT)) {}

}  // namespace gradlab::cli
