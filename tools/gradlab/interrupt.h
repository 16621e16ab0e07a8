#pragma once
// Ctrl-C (SIGINT) and SIGTERM during a long command (train, sweep). While an InterruptGuard lives, the
// first such signal only sets a flag: the command polls interrupt_requested() between steps, finishes
// the step it is in, saves what it has (atomically), and throws Interrupted, which main() turns into
// exit status 128 + signal (130 for SIGINT, 143 for SIGTERM), as a shell reports a process the signal
// killed. A second signal is not caught: it ends the process at once, and the atomic writes mean no
// half-written file is left behind.
//
//   InterruptGuard guard;
//   for (...) {
//     step();
//     if (interrupt_requested()) { save(); throw Interrupted("training stopped after step 412; ..."); }
//   }

#include <string>

#include "commands.h"

namespace gradlab::cli {

/// Catches SIGINT and SIGTERM once each while it lives (see the file comment); restores the previous
/// handlers and clears the flag when destroyed. Not nestable.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
};

/// True once SIGINT or SIGTERM arrived under an InterruptGuard. Safe to call from any thread.
bool interrupt_requested();

/// The signal that arrived (SIGINT or SIGTERM), or 0.
int interrupt_signal();

/// Thrown by a command that stopped early because of a signal, after saving its work; main() prints
/// the message and exits with status().
class Interrupted : public Error {
 public:
  /// `message` says what was saved and how to go on ("... resume with --resume").
  explicit Interrupted(const std::string& message);
  /// 128 + the signal: 130 for SIGINT, 143 for SIGTERM.
  int status() const { return status_; }

 private:
  int status_;
};

}  // namespace gradlab::cli
