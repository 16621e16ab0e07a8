// `gradlab probe --norm instance`: accepted, and on the inline network's [batch, features] rows it
// shows what docs/lesson.md (table 8) says: one value per statistic, so no gradient reaches the input.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "run_cli.h"

namespace gradlab {
namespace {

using cli_test::run_cli;
using nlohmann::json;

json probe_json(const char* norm) {
  cli_test::CliResult r = run_cli({"probe", "--json", "--depth", "3", "--width", "8", "--norm", norm});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out);
}

TEST(ProbeInstanceNorm, OnVectorsPassesNoGradientWhereGroupNormDoes) {
  const json instance = probe_json("instance");
  EXPECT_EQ(instance["input_grad"]["l2_norm"], 0.0) << instance.dump();
  bool saw_layer = false;
  for (const json& layer : instance["layers"]) saw_layer |= layer["type"] == "instance_normalization";
  EXPECT_TRUE(saw_layer);
  EXPECT_GT(probe_json("group")["input_grad"]["l2_norm"].get<double>(), 0.0);
}

}  // namespace
}  // namespace gradlab
