#pragma once
// ProgressBar: one line on standard error for a long command (train, sweep, report) —
//
//   epoch 3/10 [##########----------] 235/469  loss 0.4123  acc 0.8512  10,512 ex/s  0:04 left
//
// redrawn in place at most ten times a second when standard error is a terminal. When it is not (a
// log file, a test), nothing is drawn until finish(), which prints the final line once, so logs stay
// readable.
//
//   ProgressBar bar("sweep", configs.size());
//   for (...) { ...; bar.update(done, "healthy 31, vanishing 12"); }
//   bar.finish("done");

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace gradlab::cli {

/// Whether a ProgressBar draws while it runs.
enum class ProgressMode {
  automatic,  ///< redraw when standard error is a terminal, else only the final line
  always,     ///< redraw every update (at most ten a second), terminal or not
  never,      ///< draw nothing, not even the final line
};

/// See the file comment.
class ProgressBar {
 public:
  /// `label` starts the line ("epoch 3/10"); `total` units of work, at least 1 (0 is taken as 1).
  ProgressBar(std::string label, int64_t total, ProgressMode mode = ProgressMode::automatic);

  /// `done` of total units finished; `detail` follows the counts (loss, accuracy, ...). Time left is
  /// estimated from the rate since construction. Cheap when it does not redraw.
  void update(int64_t done, std::string_view detail = "");

  /// Draws the final line (all done unless update() said less: a run that stopped early) with
  /// `detail`, and a newline; a final line never estimates time left.
  void finish(std::string_view detail = "");

  /// The line as it would be drawn now for `done` units after `elapsed_seconds` (for tests).
  std::string line(int64_t done, std::string_view detail, double elapsed_seconds) const;

  /// "0:42", "12:05", "3:02:10": a duration for people.
  static std::string format_duration(double seconds);

 private:
  using Clock = std::chrono::steady_clock;
  void draw(const std::string& text, bool final_line);

  std::string label_;
  int64_t total_;
  int64_t done_ = 0;
  bool live_;
  bool silent_;
  bool finished_ = false;
  Clock::time_point start_;
  Clock::time_point last_draw_;
};

}  // namespace gradlab::cli
