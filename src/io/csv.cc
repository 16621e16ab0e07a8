#include "gradlab/io/csv.h"

#include <cmath>
#include <cstdlib>
#include <set>

#include "gradlab/error.h"
#include "gradlab/io/atomic_file.h"

namespace gradlab {
namespace {

// A cell shown in an error: long or binary cells are cut so the message stays one readable line.
std::string shown(std::string_view cell) {
  std::string out;
  for (char c : cell.substr(0, 40)) out += (c >= 32 && c < 127) ? c : '?';
  if (cell.size() > 40) out += "...";
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Splits one header line; a name may be wrapped in double quotes ("" inside is one quote).
std::vector<std::string> split_header(std::string_view line, char delimiter, const std::string& source) {
  std::vector<std::string> names;
  std::size_t i = 0;
  while (true) {
    std::string name;
    std::size_t end = line.find(delimiter, i);
    std::string_view raw = trim(line.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i));
    if (!raw.empty() && raw.front() == '"') {
      // Quoted: read to the closing quote, which may be followed only by the delimiter.
      std::size_t j = line.find('"', i) + 1;
      while (true) {
        if (j >= line.size()) fail("{}:1: header: unterminated quoted column name", source);
        if (line[j] == '"') {
          if (j + 1 < line.size() && line[j + 1] == '"') {
            name += '"';
            j += 2;
            continue;
          }
          break;
        }
        name += line[j++];
      }
      end = line.find(delimiter, j + 1);
      if (!trim(line.substr(j + 1, end == std::string_view::npos ? std::string_view::npos : end - j - 1)).empty()) {
        fail("{}:1: header: text after the quoted column name \"{}\"", source, shown(name));
      }
    } else {
      name = std::string(raw);
    }
    names.push_back(std::move(name));
    if (end == std::string_view::npos) break;
    i = end + 1;
  }
  return names;
}

}  // namespace

int64_t CsvTable::rows() const {
  return columns.empty() ? 0 : static_cast<int64_t>(values.size() / columns.size());
}

double CsvTable::value(int64_t row, int64_t column) const {
  if (row < 0 || row >= rows() || column < 0 || column >= static_cast<int64_t>(columns.size())) {
    fail("{}: no cell at row {}, column {} (the table has {} rows and {} columns)", source, row, column, rows(),
         columns.size());
  }
  return values[static_cast<std::size_t>(row) * columns.size() + static_cast<std::size_t>(column)];
}

int64_t CsvTable::column_index(std::string_view name) const {
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i] == name) return static_cast<int64_t>(i);
  }
  std::string list;
  for (const std::string& c : columns) list += (list.empty() ? "'" : ", '") + c + "'";
  fail("{}: no column '{}'; the columns are {}", source, name, list);
}

CsvTable parse_csv(std::string_view text, const std::string& source, const CsvOptions& options) {
  const CsvLimits& limits = options.limits;
  if (text.size() > limits.max_bytes) {
    fail("{}: {} bytes is more than the CSV limit of {} bytes", source, text.size(), limits.max_bytes);
  }
  if (text.find('\0') != std::string_view::npos) fail("{}: contains a NUL byte; is this a text CSV file?", source);
  CsvTable table;
  table.source = source;
  int64_t line_number = 0;
  std::size_t pos = 0;
  std::string cell_buffer;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (trim(line).empty()) continue;
    if (table.columns.empty()) {
      if (line_number == 1 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);  // a UTF-8 BOM
      table.columns = split_header(line, options.delimiter, source);
      if (static_cast<int64_t>(table.columns.size()) > limits.max_columns) {
        fail("{}:{}: {} columns is more than the limit of {}", source, line_number, table.columns.size(),
             limits.max_columns);
      }
      std::set<std::string> seen;
      for (std::size_t c = 0; c < table.columns.size(); ++c) {
        if (table.columns[c].empty()) fail("{}:{}: header: column {} has no name", source, line_number, c + 1);
        if (!seen.insert(table.columns[c]).second) {
          fail("{}:{}: header: column name '{}' appears twice", source, line_number, shown(table.columns[c]));
        }
      }
      continue;
    }
    const std::size_t width = table.columns.size();
    if (static_cast<int64_t>(table.values.size() + width) > limits.max_cells) {
      fail("{}:{}: more than {} cells; the table is too large for the CSV limit", source, line_number,
           limits.max_cells);
    }
    std::size_t i = 0;
    for (std::size_t c = 0;; ++c) {
      const std::size_t next = line.find(options.delimiter, i);
      const std::string_view cell =
          trim(line.substr(i, next == std::string_view::npos ? std::string_view::npos : next - i));
      if (c >= width) {
        fail("{}:{}: row has more cells than the header's {} columns", source, line_number, width);
      }
      if (cell.empty()) fail("{}:{}: column '{}' ({}): empty cell", source, line_number, shown(table.columns[c]), c + 1);
      // strtod needs a terminated string and accepts "nan", "inf" and hex; those are refused below.
      cell_buffer.assign(cell);
      char* parsed_end = nullptr;
      const double v = std::strtod(cell_buffer.c_str(), &parsed_end);
      const bool numeric = parsed_end == cell_buffer.c_str() + cell_buffer.size() &&
                           cell_buffer.find_first_of("xXnNiI") == std::string::npos;
      if (!numeric) {
        fail("{}:{}: column '{}' ({}): '{}' is not a number", source, line_number, shown(table.columns[c]), c + 1,
             shown(cell));
      }
      if (!std::isfinite(v)) {  // an overflow (1e999); an underflow rounds to 0 or a subnormal
        fail("{}:{}: column '{}' ({}): '{}' is not a finite number", source, line_number, shown(table.columns[c]),
             c + 1, shown(cell));
      }
      table.values.push_back(v);
      if (next == std::string_view::npos) {
        if (c + 1 != width) {
          fail("{}:{}: row has {} cells but the header has {} columns", source, line_number, c + 1, width);
        }
        break;
      }
      i = next + 1;
    }
  }
  if (table.columns.empty()) fail("{}: empty CSV file (expected a header row of column names)", source);
  if (table.values.empty()) fail("{}: CSV file has a header but no data rows", source);
  return table;
}

CsvTable read_csv(const std::string& path, const CsvOptions& options) {
  return parse_csv(read_file(path, options.limits.max_bytes), path, options);
}

}  // namespace gradlab
