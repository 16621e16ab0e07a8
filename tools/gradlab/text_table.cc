#include "text_table.h"

#include <algorithm>

#include "gradlab/error.h"

namespace gradlab::cli {

TextTable::TextTable(std::vector<Column> columns) : columns_(std::move(columns)) {}

void TextTable::add_row(std::vector<std::string> cells) {
  if (cells.size() != columns_.size()) {
    fail("TextTable: a row has {} cells but the table has {} columns", cells.size(), columns_.size());
  }
  rows_.push_back(std::move(cells));
}

std::string TextTable::render(const std::string& indent) const {
  std::vector<std::size_t> widths(columns_.size());
  for (std::size_t c = 0; c < columns_.size(); ++c) {
    widths[c] = columns_[c].heading.size();
    for (const auto& row : rows_) widths[c] = std::max(widths[c], row[c].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out = indent;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      if (c > 0) out += "  ";
      std::string pad(widths[c] - cells[c].size(), ' ');
      out += columns_[c].align == Align::right ? pad + cells[c] : cells[c] + pad;
    }
    out.erase(out.find_last_not_of(' ') + 1);
    return out + "\n";
  };
  std::vector<std::string> headings;
  std::vector<std::string> rules;
  for (std::size_t c = 0; c < columns_.size(); ++c) {
    headings.push_back(columns_[c].heading);
    rules.emplace_back(widths[c], '-');
  }
  std::string out = line(headings) + line(rules);
  for (const auto& row : rows_) out += line(row);
  return out;
}

}  // namespace gradlab::cli
