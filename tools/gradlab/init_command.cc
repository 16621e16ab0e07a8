// `gradlab init`: builds a model spec and writes every variable, freshly initialized, to safetensors.
#include <fmt/format.h>

#include <memory>

#include "commands.h"
#include "gradlab/io/weights.h"
#include "model_files.h"

namespace gradlab::cli {

void add_init_command(CLI::App& app, CommandRun& run) {
  struct Settings {
    std::string model, out, dtype = "float32";
    uint64_t seed = 0;
  };
  auto s = std::make_shared<Settings>();
  CLI::App* cmd = app.add_subcommand("init", "Initialize a model spec's variables and save them as safetensors");
  cmd->footer("Example: gradlab init --model net.json --seed 1 --out w.safetensors. See docs/model-spec.md.");
  cmd->add_option("--model", s->model, "Model spec (JSON); - reads standard input")->required();
  cmd->add_option("--out", s->out, "Weights file to write (safetensors); - writes standard output")->required();
  cmd->add_option("--seed", s->seed, "Seed of the initializers (same seed, same weights)")
      ->check(kUnsignedDigits)
      ->capture_default_str();
  cmd->add_option("--dtype", s->dtype, "Element type of the variables")
      ->check(CLI::IsMember({"float32", "float64"}))
      ->capture_default_str();
  cmd->callback([s, &run] { run = [s] {
    const ModelSpec spec = as_bad_input([&] { return read_model_spec(s->model); });
    Rng rng(s->seed);
    Model model = as_bad_input([&] { return build_model(spec, {.dtype = parse_dtype(s->dtype), .rng = &rng}); });
    TensorFile weights = model_weights(model);
    weights.metadata["seed"] = std::to_string(s->seed);
    weights.metadata["dtype"] = s->dtype;
    as_bad_input([&] { write_safetensors(s->out, weights); });
    if (s->out != "-") {
      int64_t params = 0;
      for (const Variable& v : model.variables()) params += v.value().numel();
      write_stdout(fmt::format("{}: {} variables, {} parameters, {}, seed {} -> {}\n", model.name(), weights.size(),
                               params, s->dtype, s->seed, s->out));
    }
  }; });
}

}  // namespace gradlab::cli
