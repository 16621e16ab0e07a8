#pragma once
// Exact bytes for the results of `gradlab report`'s units (report_units.h), the form in which a rank
// sends its results to rank 0 under mpirun. Every number travels as its own bytes (a double's 8, an
// int64's 8), so a result read back is the result written, bit for bit: NaN, infinities and -0
// included; strings, vectors and optionals carry their length or presence first.
//
//   std::string bytes = to_archive(cell);                              // on the rank that measured it
//   RemedyCell again = from_archive<RemedyCell>(bytes, "a depth cell");  // on rank 0
//
// Both ends are the same gradlab build (one MPI job), so the layout is the machine's own; it is not
// a file format. Reading still checks every length against the bytes left and that nothing is left over.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "gradlab/error.h"
#include "gradlab/lab/adding_study.h"
#include "gradlab/lab/conv_study.h"
#include "gradlab/lab/dynamical_isometry.h"
#include "gradlab/lab/edge_of_chaos.h"
#include "gradlab/lab/lesson_study.h"
#include "gradlab/lab/lesson_training.h"
#include "gradlab/lab/trainability_study.h"
#include "report_study.h"

namespace gradlab::cli {

/// Writes values to bytes, or reads them back in the same order (see the file comment).
class Archive {
 public:
  /// An archive that appends what it is given to bytes().
  Archive() = default;
  /// An archive that reads `bytes` into what it is given; `what` names them in errors.
  Archive(std::string_view bytes, std::string what) : in_(bytes), what_(std::move(what)), reading_(true) {}

  /// True when reading.
  bool reading() const { return reading_; }
  /// Each value in turn, written or read (io() overloads below).
  template <class... T>
  void operator()(T&... values) {
    (io(*this, values), ...);
  }
  /// `size` raw bytes at `data`, written or read. Error when reading past the end.
  void raw(void* data, std::size_t size);
  /// A length (of a string or vector), written or read; when reading, Error unless at least
  /// `length * min_item_bytes` bytes are left, so a bad length cannot make a huge allocation.
  std::size_t length(std::size_t length, std::size_t min_item_bytes);
  /// The bytes written.
  const std::string& bytes() const { return out_; }
  /// When reading: Error unless every byte was read.
  void finish() const;

 private:
  std::string out_;
  std::string_view in_;
  std::size_t at_ = 0;
  std::string what_;
  bool reading_ = false;
};

/// A number, bool or enum: its own bytes.
template <class T>
  requires std::is_arithmetic_v<T> || std::is_enum_v<T>
void io(Archive& a, T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    unsigned char byte = value ? 1 : 0;
    a.raw(&byte, 1);
    if (byte > 1) throw Error("archive: a bool is neither 0 nor 1");
    value = byte == 1;
  } else {
    a.raw(&value, sizeof value);
  }
}
/// A string: its length, then its bytes.
void io(Archive& a, std::string& text);
/// A vector: its length, then each element.
template <class T>
void io(Archive& a, std::vector<T>& items) {
  items.resize(a.length(items.size(), 1));
  for (T& item : items) io(a, item);
}
/// An optional: 1 and the value, or 0.
template <class T>
void io(Archive& a, std::optional<T>& value) {
  bool present = value.has_value();
  io(a, present);
  if (!present) {
    value.reset();
    return;
  }
  if (!value) value.emplace();
  io(a, *value);
}
/// A pair: first, then second.
template <class A, class B>
void io(Archive& a, std::pair<A, B>& pair) {
  io(a, pair.first);
  io(a, pair.second);
}

/// The results of report units (report_units.h), every field (report_archive.cc).
void io(Archive& a, RemedyCell& cell);
/// The lesson's tables and recurrent section.
void io(Archive& a, LessonStudy& study);
/// The edge-of-chaos phase diagram.
void io(Archive& a, EdgeOfChaos& edge);
/// Dynamical isometry's spectra.
void io(Archive& a, DynamicalIsometry& isometry);
/// The lesson's cases trained on Fashion-MNIST.
void io(Archive& a, LessonTrainingResult& result);
/// The trainability grid.
void io(Archive& a, TrainabilityStudy& study);
/// The adding problem.
void io(Archive& a, AddingStudyResult& result);
/// The convolutional networks' study.
void io(Archive& a, ConvStudy& study);

/// `value`'s bytes.
template <class T>
std::string to_archive(const T& value) {
  Archive a;
  io(a, const_cast<T&>(value));  // writing only reads `value`
  return a.bytes();
}

/// A T read back from `bytes` (to_archive's); Error naming `what` when they are not a whole T.
template <class T>
T from_archive(std::string_view bytes, std::string what) {
  Archive a(bytes, std::move(what));
  T value{};
  io(a, value);
  a.finish();
  return value;
}

}  // namespace gradlab::cli
