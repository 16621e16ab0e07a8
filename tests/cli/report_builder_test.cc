// HtmlReport and the chart builders: escaping, safe embedding of specs, the page's structure, and the
// data each chart carries (including values a log axis cannot show).
#include <gtest/gtest.h>

#include <algorithm>

#include <cctype>
#include <cmath>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "gradlab/error.h"
#include "gradlab/lab/skip_network.h"
#include "gradlab/tensor/creation.h"
#include "html_report.h"
#include "gradlab/instrument/learning_variable.h"
#include "report_charts.h"

namespace gradlab::cli {
namespace {

using nlohmann::json;

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The JSON text of the index-th chart spec in a rendered page.
std::string spec_text(const std::string& page, int index) {
  std::size_t at = 0;
  for (int i = 0; i <= index; ++i) at = page.find("class=\"gradlab-spec\"", at + 1);
  const std::size_t begin = page.find('>', at) + 1;
  return page.substr(begin, page.find("</script>", begin) - begin);
}

FlowRun probed_run(const std::string& activation, int depth) {
  Rng rng(3);
  const Tensor x = uniform({8, 6}, rng);
  const SkipNetwork net({.depth = depth, .units = 5, .activation = activation, .batch = 8, .input_features = 6}, rng);
  PassRecord pass = probe_pass(
      [&net](const std::vector<Tensor>& xs, const CallOptions& o) { return std::vector<Tensor>{net(xs[0], o)}; }, {x},
      {.training = true});
  FlowSummary summary = summarize_flow(pass);
  return {activation + " run", {{"activation", activation}}, std::move(pass), std::move(summary)};
}

TEST(HtmlReport, EscapesEveryText) {
  EXPECT_EQ(html_escape(R"(<a href="x">Tom & 'Jerry'</a>)"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;");
  HtmlReport page("<title>&");
  page.add_heading("<h2>");
  page.add_paragraph("<script>alert(1)</script>");
  page.add_table({"<b>"}, {{"<i>"}});
  const std::string html = page.render();
  EXPECT_EQ(count(html, "<script>alert(1)"), 0);
  EXPECT_EQ(count(html, "&lt;script&gt;alert(1)&lt;/script&gt;"), 1);
  EXPECT_EQ(count(html, "<title>&lt;title&gt;&amp;</title>"), 1);
  EXPECT_EQ(count(html, "<th>&lt;b&gt;</th>"), 1);
  EXPECT_EQ(count(html, "<td>&lt;i&gt;</td>"), 1);
}

TEST(HtmlReport, EmbedsSpecsSoDataCannotEndTheScript) {
  const json spec = {{"mark", "point"},
                     {"data", {{"values", {{{"label", "</script><script>alert(1)</script><!-- & -->"}}}}}}};
  HtmlReport page("t");
  page.add_chart(spec, "caption </script>");
  const std::string html = page.render();
  EXPECT_EQ(count(html, "<script>alert(1)"), 0);
  EXPECT_EQ(count(html, "<!-- & -->"), 0);
  // The embedded text is JSON that means exactly the spec.
  EXPECT_EQ(json::parse(spec_text(html, 0)), spec);
  EXPECT_EQ(script_safe_json(json("<>&")), R"("\u003c\u003e\u0026")");
}

TEST(HtmlReport, RendersOneSelfContainedPage) {
  HtmlReport page("Report");
  page.add_chart({{"mark", "bar"}}, "one");
  page.add_chart({{"mark", "line"}}, "two");
  EXPECT_EQ(page.chart_count(), 2);
  const std::string html = page.render();
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("</html>"), std::string::npos);
  EXPECT_EQ(count(html, "<!--gradlab:"), 0) << "a template marker was left unfilled";
  EXPECT_EQ(count(html, "class=\"gradlab-spec\""), 2);
  EXPECT_EQ(count(html, "id=\"chart-1\""), 1);
  EXPECT_EQ(count(html, "id=\"chart-2\""), 1);
  // The chart library is inlined, so the page opens offline: no script or style is fetched.
  const ReportAssets& assets = report_assets();
  EXPECT_NE(html.find(assets.vega), std::string::npos);
  EXPECT_NE(html.find(assets.vega_lite), std::string::npos);
  EXPECT_NE(html.find(assets.vega_embed), std::string::npos);
  EXPECT_EQ(count(html, "<script src"), 0);
  EXPECT_EQ(count(html, "<link"), 0);
}

TEST(HtmlReport, CompiledInLibraryCannotEndItsScriptElement) {
  const ReportAssets& a = report_assets();
  for (const std::string_view bundle : {a.vega, a.vega_lite, a.vega_embed}) {
    EXPECT_GT(bundle.size(), 10'000u);
    std::string lower(bundle);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_EQ(lower.find("</script"), std::string::npos);
    EXPECT_EQ(lower.find("<!--"), std::string::npos);
  }
  EXPECT_NE(a.vega_embed.find("vegaEmbed"), std::string::npos);
}

TEST(HtmlReport, RejectsBadBlocks) {
  HtmlReport page("t");
  EXPECT_THROW(page.add_table({"a", "b"}, {{"1", "2"}, {"3"}}), Error);
  EXPECT_THROW(page.add_chart(json::array({1, 2}), "not an object"), Error);
  EXPECT_EQ(page.chart_count(), 0);
}

TEST(HtmlReport, ColoursAndAlignsCells) {
  HtmlReport page("t");
  page.add_table({"a", "b", "c"}, {{{"vanishing", CellTone::vanishing}, "1.5e-02", "12.5%"}});
  const std::string html = page.render();
  EXPECT_EQ(count(html, "<td class=\"vanishing\">vanishing</td>"), 1);
  EXPECT_EQ(count(html, "<td class=\"num\">1.5e-02</td>"), 1);
  EXPECT_EQ(count(html, "<td class=\"num\">12.5%</td>"), 1);
}

TEST(ReportCharts, GradientNormChartCarriesEveryLayerNorm) {
  const FlowRun run = probed_run("tanh", 3);
  const Chart chart = gradient_norm_chart({run});
  const json& values = chart.spec["data"]["values"];
  ASSERT_EQ(values.size(), 3u);
  for (std::size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(values[k]["k"], k + 1);
    EXPECT_EQ(values[k]["run"], "tanh run");
    EXPECT_DOUBLE_EQ(values[k]["norm"].get<double>(), run.summary.grad_norms[k]);
  }
  EXPECT_EQ(values[0]["layer"], "layer1");
  EXPECT_EQ(chart.spec["encoding"]["y"]["scale"]["type"], "log");
  EXPECT_EQ(chart.caption.find("left out"), std::string::npos);
}

TEST(ReportCharts, ValuesALogAxisCannotShowBecomeNullAndAreCounted) {
  FlowRun run = probed_run("relu", 4);
  run.summary.grad_norms[1] = std::numeric_limits<double>::quiet_NaN();
  run.summary.grad_norms[2] = 0;
  run.summary.grad_norms[3] = std::numeric_limits<double>::infinity();
  const Chart chart = gradient_norm_chart({run});
  const json& values = chart.spec["data"]["values"];
  EXPECT_TRUE(values[0]["norm"].is_number());
  EXPECT_TRUE(values[1]["norm"].is_null());
  EXPECT_TRUE(values[2]["norm"].is_null());
  EXPECT_TRUE(values[3]["norm"].is_null());
  EXPECT_NE(chart.caption.find("3 norms were zero or not finite"), std::string::npos) << chart.caption;
  // The page still renders JSON that parses.
  HtmlReport page("t");
  page.add_chart(chart.spec, chart.caption);
  EXPECT_TRUE(json::accept(spec_text(page.render(), 0)));
}

TEST(ReportCharts, HeatmapHasOneCellPerRunAndLayer) {
  const Chart chart = gradient_heatmap({probed_run("tanh", 2), probed_run("sigmoid", 3)});
  EXPECT_EQ(chart.spec["data"]["values"].size(), 5u);
  EXPECT_EQ(chart.spec["mark"]["type"], "rect");
}

TEST(ReportCharts, ActivityChartHasSaturationOrDeadUnitsWhereMeasured) {
  FlowRun measured = probed_run("relu", 3);
  const Chart relu = activity_chart({measured});
  ASSERT_TRUE(relu.spec.is_object());
  // probe_pass alone measures silence on its batch only; dead units over the examples come from
  // probe_subject (here set by hand).
  for (const json& row : relu.spec["data"]["values"]) EXPECT_EQ(row["measure"], "silent on the batch");
  measured.pass.layers[0].dead_fraction = 0.25;
  std::vector<std::string> measures;
  const Chart both = activity_chart({measured});
  for (const json& row : both.spec["data"]["values"]) measures.push_back(row["measure"]);
  EXPECT_EQ(std::count(measures.begin(), measures.end(), "dead over the examples"), 1);
  const Chart tanh = activity_chart({probed_run("tanh", 3)});
  for (const json& row : tanh.spec["data"]["values"]) EXPECT_EQ(row["measure"], "saturated");
  EXPECT_EQ(tanh.spec["data"]["values"].size(), 3u);
  EXPECT_TRUE(activity_chart({probed_run("elu", 3)}).spec.is_null());
}

TEST(ReportCharts, ConfigurationKeysThatVaryGetADropDown) {
  const Chart chart = gradient_norm_chart({probed_run("tanh", 2), probed_run("relu", 2)});
  const json& params = chart.spec["params"];
  ASSERT_EQ(params.size(), 2u);  // activation, and the legend highlight
  EXPECT_EQ(params[0]["bind"]["options"], json::array({"all", "tanh", "relu"}));
  EXPECT_EQ(chart.spec["transform"][0]["filter"], "filter_0 == 'all' || datum.cfg_0 == filter_0");
  EXPECT_EQ(chart.spec["data"]["values"][0]["cfg_0"], "tanh");
  EXPECT_EQ(params[0]["value"], "all");
  const std::vector<FlowRun> runs{probed_run("tanh", 2), probed_run("relu", 2)};
  EXPECT_EQ(gradient_norm_chart(runs, {.initial_filter = {{"activation", "relu"}}}).spec["params"][0]["value"], "relu");
  EXPECT_EQ(activity_chart(runs, {.initial_filter = {{"activation", "elu"}}}).spec["params"][0]["value"], "all");
}

TEST(ReportCharts, LineChartLeavesOutWhatItCannotShow) {
  const Chart chart = line_chart({{"train", 1, 0.5}, {"train", 2, -1}, {"val", 1, std::nan("")}},
                                 {.x_title = "epoch", .y_title = "loss", .log_y = true, .caption = "Loss."});
  const json& values = chart.spec["data"]["values"];
  ASSERT_EQ(values.size(), 3u);
  EXPECT_EQ(values[0]["y"], 0.5);
  EXPECT_TRUE(values[1]["y"].is_null());
  EXPECT_TRUE(values[2]["y"].is_null());
  EXPECT_EQ(chart.caption, "Loss. 2 points were not finite or not positive on a log axis and are left out.");
}

TEST(ReportCharts, FlowSectionAddsTableAndCharts) {
  HtmlReport page("t");
  EXPECT_THROW(add_flow_section(page, {}), Error);
  add_flow_section(page, {probed_run("tanh", 3), probed_run("relu", 3)});
  EXPECT_EQ(page.chart_count(), 3);  // norms, heatmap, saturation and dead units
  HtmlReport single("t");
  add_flow_section(single, {probed_run("elu", 3)});
  EXPECT_EQ(single.chart_count(), 1);  // no heatmap for one run, nothing saturates or dies
  add_layer_table(single, probed_run("elu", 3));
  EXPECT_EQ(count(single.render(), "<td>layer3</td>"), 1);
}

TEST(ReportCharts, TableNumbers) {
  EXPECT_EQ(table_number(0), "0");
  EXPECT_EQ(table_number(0.015), "1.50e-02");
  EXPECT_EQ(table_number(std::nan("")), "nan");
  EXPECT_EQ(table_number(-std::numeric_limits<double>::infinity()), "-inf");
}

// Item 3 of issue 15: the table showed the largest ratio over a layer's variables, which for a fresh
// network is its all-zero bias's: inf on every Dense layer of a healthy network.
TEST(ReportCharts, LayerTableShowsTheKernelsRatioNotAZeroBiassInfinity) {
  const FlowRun run = probed_run("tanh", 3);
  ASSERT_FALSE(run.pass.layers.front().variables.empty());
  HtmlReport page("t");
  add_layer_table(page, run);
  const std::string html = page.render();
  EXPECT_NE(html.find("kernel ||dL/dW|| / ||W||"), std::string::npos);
  EXPECT_EQ(html.find(">inf<"), std::string::npos) << html;
  const VariableGradientStats* kernel = learning_variable(run.pass.layers.front());
  ASSERT_NE(kernel, nullptr);
  EXPECT_TRUE(kernel->name.ends_with("/kernel")) << kernel->name;
  EXPECT_NE(html.find(">" + table_number(kernel->grad_to_weight_ratio) + "<"), std::string::npos) << html;
}

// Item 9 of issue 15: fractional "depth position" ticks and a k that meant different things per chart.
TEST(ReportCharts, DepthAxesTickWholeLayersWithOneMeaning) {
  const std::vector<FlowRun> runs{probed_run("tanh", 3)};
  for (const Chart& chart : {gradient_norm_chart(runs), activity_chart(runs)}) {
    ASSERT_TRUE(chart.spec.is_object());
    const json& x = chart.spec["encoding"]["x"];
    EXPECT_EQ(x["title"], "weight layer k (1 = first, next to the input)") << x.dump();
    EXPECT_EQ(x["axis"]["tickMinStep"], 1) << x.dump();
    EXPECT_EQ(x["axis"]["format"], "d") << x.dump();
  }
}

}  // namespace
}  // namespace gradlab::cli
