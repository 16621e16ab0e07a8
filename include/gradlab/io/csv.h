#pragma once
/// CSV: a reader for users' own tabular data — a header row of column names, then one row of numbers
/// per example — treating the file as hostile.
///
///   CsvTable table = read_csv("houses.csv");              // every cell a finite number
///   int64_t y = table.column_index("price");              // Error listing the columns if absent
///   double first = table.value(0, y);
///
/// Format: fields separated by `delimiter` (a comma by default); lines end in "\n" or "\r\n"; blank
/// lines are skipped; header names may be wrapped in double quotes ("a,b" is not split), data cells
/// may not. Every data cell must parse completely as a finite decimal number ("1", "-2.5e3"): a
/// non-numeric cell, "nan", "inf", a value beyond double's range, a row with more or fewer cells than
/// the header, an empty file, a header without data, a duplicate or empty column name, and a file or
/// table beyond CsvLimits are each an Error naming the file, the line (1-based) and the column, e.g.
///   "data.csv:14: column 'age' (3): 'n/a' is not a number".

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gradlab {

/// Sizes beyond which a CSV file is refused before its data is stored.
struct CsvLimits {
  /// Largest file read, in bytes (1 GiB).
  std::uint64_t max_bytes = std::uint64_t{1} << 30;
  /// Most columns in the header.
  int64_t max_columns = 100000;
  /// Most cells (rows times columns) kept: 2^28, 2 GiB of doubles.
  int64_t max_cells = int64_t{1} << 28;
};

/// Options of parse_csv() and read_csv().
struct CsvOptions {
  /// The field separator: ',' for CSV, ';' or '\t' for other exports.
  char delimiter = ',';
  CsvLimits limits;
};

/// A numeric table: column names from the header and the cells, row-major, as doubles.
struct CsvTable {
  /// The file the table came from (or the source given to parse_csv()), for error messages.
  std::string source;
  /// Column names in file order.
  std::vector<std::string> columns;
  /// rows() x columns().size() values, row by row.
  std::vector<double> values;
  /// Number of data rows (blank lines not counted).
  int64_t rows() const;
  /// Value of data row `row`, column `column` (both 0-based).
  double value(int64_t row, int64_t column) const;
  /// The index of the column called `name`; Error naming the file and listing the columns when
  /// there is none.
  int64_t column_index(std::string_view name) const;
};

/// Parses CSV text; see the file comment. `source` names it in errors.
CsvTable parse_csv(std::string_view text, const std::string& source = "<memory>", const CsvOptions& options = {});
/// Reads and parses the file at `path`; a missing or unreadable file is an Error naming it.
CsvTable read_csv(const std::string& path, const CsvOptions& options = {});

}  // namespace gradlab
