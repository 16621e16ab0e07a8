// `gradlab gradients`: one forward and backward pass of a model spec with given weights and inputs;
// writes loss, outputs and every gradient to safetensors and prints per-layer gradient norms.
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "commands.h"
#include "gradlab/instrument/model_gradients.h"
#include "gradlab/io/weights.h"
#include "data_inputs.h"
#include "model_files.h"
#include "text_table.h"

namespace gradlab::cli {
namespace {

std::string norms_table(const ModelGradients& g) {
  TextTable table({{"layer"}, {"type"}, {"|d loss/d output|", Align::right}, {"variable"}, {"|d loss/d variable|", Align::right}});
  for (const LayerGradientNorms& row : g.layers) {
    const std::string out = fmt::format("{:.4e}", row.output_grad_norm);
    if (row.variable_grad_norms.empty()) table.add_row({row.layer, row.type, out, "", ""});
    for (std::size_t i = 0; i < row.variable_grad_norms.size(); ++i) {
      const auto& [name, value] = row.variable_grad_norms[i];
      table.add_row({i ? "" : row.layer, i ? "" : row.type, i ? "" : out, name, fmt::format("{:.4e}", value)});
    }
  }
  return table.render();
}

}  // namespace

void add_gradients_command(CLI::App& app, CommandRun& run) {
  struct Settings {
    std::string model, weights, input, out, dtype, loss = "mean";
    DataInputSettings data;
    bool training = false, quiet = false;
  };
  auto s = std::make_shared<Settings>();
  CLI::App* cmd = app.add_subcommand("gradients", "Run a model forward and backward; save loss, outputs and gradients");
  cmd->footer(
      "Writes loss, output/<name>, grad/input/<name>, grad/<layer>/<variable> and, after --training, "
      "state/<layer>/<variable>. See docs/model-spec.md.");
  cmd->add_option("--model", s->model, "Model spec (JSON); - reads standard input")->required();
  cmd->add_option("--weights", s->weights, "Weights (safetensors, as `gradlab init` writes)")->required();
  CLI::Option* input = cmd->add_option("--input", s->input, "Inputs (safetensors): one tensor per model input, named as in the spec");
  add_data_options(cmd, s->data, input);
  cmd->add_option("--out", s->out, "Result file (safetensors); - writes standard output")->required();
  cmd->add_option("--dtype", s->dtype, "Element type (default: that of the weights)")->check(CLI::IsMember({"float32", "float64"}));
  cmd->add_option("--loss", s->loss, "Reduce every output element by mean or sum")
      ->check(CLI::IsMember({"mean", "sum"}))
      ->capture_default_str();
  cmd->add_flag("--training", s->training, "Training mode (batch statistics; updates moving statistics)");
  cmd->add_flag("--quiet", s->quiet, "Do not print the table of gradient norms");
  cmd->callback([s, &run] {
    run = [s] {
      if (s->input.empty() && s->data.data.empty()) {
        throw UsageError("gradients needs the model's input: --input x.safetensors, or --data " + data_choices());
      }
      check_one_stdin({{"--model", s->model}, {"--weights", s->weights}, {"--input", s->input}});
      const ModelSpec spec = as_bad_input([&] { return read_model_spec(s->model); });
      const TensorFile weights = as_bad_input([&] { return read_safetensors(s->weights); });
      const DType dtype = dtype_for(s->dtype, weights);
      TensorFile inputs;
      if (!s->data.data.empty()) {
        const Tensor features = read_data_features(s->data);
        inputs.add(data_input_name(spec, s->data, features), features.to(dtype));
      } else {
        inputs = as_bad_input([&] { return read_safetensors(s->input); });
      }
      Model model = as_bad_input([&] { return build_model(spec, {.dtype = dtype}); });
      as_bad_input([&] { load_weights(model, weights); });
      // Input problems (a missing tensor, a wrong shape, a NaN) are bad input too.
      const ModelGradients result = as_bad_input([&] {
        return compute_gradients(model, inputs, {.training = s->training, .loss = parse_loss_reduction(s->loss)});
      });
      as_bad_input([&] { write_safetensors(s->out, result.tensors); });
      if (s->quiet) return;
      const std::string text = fmt::format("loss ({}) = {:.6e}\n{}", s->loss, result.tensors.get("loss").item(), norms_table(result));
      if (s->out == "-") {
        std::cerr << text;
      } else {
        write_stdout(text);
      }
    };
  });
}

}  // namespace gradlab::cli
