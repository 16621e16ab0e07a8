#include "progress_bar.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <fmt/format.h>

namespace gradlab::cli {
namespace {

constexpr int kBarWidth = 20;
constexpr auto kRedrawInterval = std::chrono::milliseconds(100);

}  // namespace

ProgressBar::ProgressBar(std::string label, int64_t total, ProgressMode mode)
    : label_(std::move(label)),
      total_(std::max<int64_t>(total, 1)),
      live_(mode == ProgressMode::always || (mode == ProgressMode::automatic && isatty(STDERR_FILENO))),
      silent_(mode == ProgressMode::never),
      start_(Clock::now()),
      last_draw_(start_ - kRedrawInterval) {}

std::string ProgressBar::format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<int64_t>(std::llround(seconds));
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

std::string ProgressBar::line(int64_t done, std::string_view detail, double elapsed_seconds) const {
  done = std::clamp<int64_t>(done, 0, total_);
  const auto filled = static_cast<int>(done * kBarWidth / total_);
  std::string text = fmt::format("{} [{}{}] {}/{}", label_, std::string(filled, '#'), std::string(kBarWidth - filled, '-'),
                                 done, total_);
  if (!detail.empty()) text += fmt::format("  {}", detail);
  if (done == total_) {
    text += fmt::format("  {}", format_duration(elapsed_seconds));
  } else if (done > 0 && !finished_) {
    text += fmt::format("  {} left", format_duration(elapsed_seconds / static_cast<double>(done) * static_cast<double>(total_ - done)));
  }
  return text;
}

void ProgressBar::update(int64_t done, std::string_view detail) {
  done_ = done;
  if (!live_) return;
  const Clock::time_point now = Clock::now();
  if (now - last_draw_ < kRedrawInterval) return;
  last_draw_ = now;
  draw(line(done, detail, std::chrono::duration<double>(now - start_).count()), false);
}

void ProgressBar::finish(std::string_view detail) {
  if (silent_) return;
  const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  finished_ = true;
  draw(line(done_ > 0 ? done_ : total_, detail, elapsed), true);
}

void ProgressBar::draw(const std::string& text, bool final_line) {
  // \r plus clear-to-end-of-line redraws in place; a shorter line leaves no tail of the longer one.
  if (live_) std::fputs("\r\033[K", stderr);
  std::fputs(text.c_str(), stderr);
  if (final_line) std::fputc('\n', stderr);
  std::fflush(stderr);
}

}  // namespace gradlab::cli
