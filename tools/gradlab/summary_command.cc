// `gradlab summary`: a model spec's layers, output shapes and parameter counts, as Keras's
// model.summary() prints them.
#include <memory>

#include "commands.h"
#include "model_files.h"

namespace gradlab::cli {

void add_summary_command(CLI::App& app, CommandRun& run) {
  auto model_path = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("summary", "Print a model spec's layers, output shapes and parameter counts (Keras's model.summary())");
  cmd->footer("Example: gradlab summary --model net.json. See docs/model-spec.md.");
  cmd->add_option("--model", *model_path, "Model spec (JSON); - reads standard input")->required();
  cmd->callback([model_path, &run] {
    run = [model_path] {
      const ModelSpec spec = as_bad_input([&] { return read_model_spec(*model_path); });
      // The weights' values do not show; a fixed seed keeps building them cheap and repeatable.
      Rng rng(0);
      const Model model = as_bad_input([&] { return build_model(spec, {.rng = &rng}); });
      write_stdout(model.summary());
    };
  });
}

}  // namespace gradlab::cli
