// HtmlReport: blocks of escaped HTML poured into report/page.html, with the chart library inlined.
#include "html_report.h"

#include <algorithm>
#include <cstdlib>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "gradlab/error.h"

namespace gradlab::cli {
namespace {

const char* tone_class(CellTone tone) {
  switch (tone) {
    case CellTone::healthy: return "healthy";
    case CellTone::vanishing: return "vanishing";
    case CellTone::exploding: return "exploding";
    case CellTone::muted: return "muted";
    case CellTone::plain: break;
  }
  return "";
}

// "1.5e-02", "-3", "87.1%", "0.02 [0.01, 0.03]" read as numbers and line up on the right.
bool reads_as_number(const std::string& text) {
  if (text.empty()) return false;
  char* end = nullptr;
  std::strtod(text.c_str(), &end);
  return end != text.c_str() && (*end == '\0' || *end == '%' || *end == ' ');
}

// The template marks each insertion point with a comment that must appear exactly once; the page is
// the template cut at the markers with the values put in, so a value can never be mistaken for a marker.
std::string fill_template(std::string_view page, std::vector<std::pair<std::string_view, std::string>> values) {
  std::vector<std::pair<std::size_t, std::size_t>> at;  // (position in page, index in values)
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::string_view marker = values[i].first;
    const std::size_t pos = page.find(marker);
    if (pos == std::string_view::npos || page.find(marker, pos + 1) != std::string_view::npos) {
      throw Error(fmt::format("report/page.html: expected the marker {} exactly once", marker));
    }
    at.emplace_back(pos, i);
  }
  std::sort(at.begin(), at.end());
  std::string out;
  std::size_t from = 0;
  for (const auto& [pos, i] : at) {
    out.append(page.substr(from, pos - from));
    out += values[i].second;
    from = pos + values[i].first.size();
  }
  out.append(page.substr(from));
  return out;
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string script_safe_json(const nlohmann::json& spec) {
  // Invalid UTF-8 in a label becomes U+FFFD rather than an exception halfway through a report.
  const std::string text = spec.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '<': out += "\\u003c"; break;
      case '>': out += "\\u003e"; break;
      case '&': out += "\\u0026"; break;
      default: out += c;
    }
  }
  return out;
}

HtmlReport::HtmlReport(std::string title) : title_(std::move(title)) {}

void HtmlReport::add_heading(std::string_view text, int level) {
  level = std::clamp(level, 2, 4);
  body_ += fmt::format("<h{0}>{1}</h{0}>\n", level, html_escape(text));
}

void HtmlReport::add_paragraph(std::string_view text) {
  std::string flat(text);
  std::replace(flat.begin(), flat.end(), '\n', ' ');
  body_ += "<p>" + html_escape(flat) + "</p>\n";
}

void HtmlReport::add_preformatted(std::string_view text) { body_ += "<pre>" + html_escape(text) + "</pre>\n"; }

void HtmlReport::add_table(const std::vector<std::string>& headings, const std::vector<std::vector<TableCell>>& rows,
                           std::string_view caption) {
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (rows[r].size() != headings.size()) {
      throw Error(fmt::format("HtmlReport table: row {} has {} cells, expected {} (one per heading)", r + 1,
                              rows[r].size(), headings.size()));
    }
  }
  std::string html = "<div class=\"table-wrap\"><table>\n";
  if (!caption.empty()) html += "<caption>" + html_escape(caption) + "</caption>\n";
  html += "<thead><tr>";
  for (const std::string& h : headings) html += "<th>" + html_escape(h) + "</th>";
  html += "</tr></thead>\n<tbody>\n";
  for (const auto& row : rows) {
    html += "<tr>";
    for (const TableCell& cell : row) {
      std::string classes = tone_class(cell.tone);
      if (reads_as_number(cell.text)) classes += classes.empty() ? "num" : " num";
      html += classes.empty() ? "<td>" : "<td class=\"" + classes + "\">";
      html += html_escape(cell.text) + "</td>";
    }
    html += "</tr>\n";
  }
  html += "</tbody></table></div>\n";
  body_ += html;
}

void HtmlReport::add_chart(const nlohmann::json& vega_lite_spec, std::string_view caption) {
  if (!vega_lite_spec.is_object()) {
    throw Error(fmt::format("HtmlReport chart '{}': the Vega-Lite spec must be a JSON object, got {}", caption,
                            vega_lite_spec.type_name()));
  }
  ++chart_count_;
  body_ += fmt::format(
      "<figure class=\"chart\">\n<div class=\"chart-view\" id=\"chart-{0}\"></div>\n"
      "<script type=\"application/json\" class=\"gradlab-spec\" data-target=\"chart-{0}\">{1}</script>\n"
      "<figcaption>{2}</figcaption>\n</figure>\n",
      chart_count_, script_safe_json(vega_lite_spec), html_escape(caption));
}

std::string HtmlReport::render() const {
  const ReportAssets& assets = report_assets();
  return fill_template(assets.page, {{"<!--gradlab:title-->", html_escape(title_)},
                                     {"<!--gradlab:heading-->", html_escape(title_)},
                                     {"<!--gradlab:body-->", body_},
                                     {"<!--gradlab:vega-->", std::string(assets.vega)},
                                     {"<!--gradlab:vega-lite-->", std::string(assets.vega_lite)},
                                     {"<!--gradlab:vega-embed-->", std::string(assets.vega_embed)}});
}

}  // namespace gradlab::cli
