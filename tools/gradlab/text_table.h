#pragma once
// TextTable: aligned plain-text columns for terminal output.
//
//   TextTable t({{"initializer"}, {"variance", Align::right}});
//   t.add_row({"he_uniform", "0.2000"});
//   std::cout << t.render("  ");

#include <string>
#include <vector>

namespace gradlab::cli {

/// How a column's cells line up.
enum class Align { left, right };

/// A column heading and its alignment.
struct Column {
  std::string heading;        ///< printed above the rule
  Align align = Align::left;  ///< how the heading and cells line up
};

/// Rows of cells printed under headings, each column as wide as its widest cell.
class TextTable {
 public:
  explicit TextTable(std::vector<Column> columns);

  /// Appends a row; throws gradlab::Error unless it has one cell per column.
  void add_row(std::vector<std::string> cells);

  /// The headings, a rule of dashes, and the rows, each line starting with `indent` and ending with
  /// a newline. Columns are separated by two spaces; trailing spaces are trimmed.
  std::string render(const std::string& indent = "") const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace gradlab::cli
