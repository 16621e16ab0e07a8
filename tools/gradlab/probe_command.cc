// `gradlab probe`: one probed forward and backward pass of a model spec or an inline network; prints
// per-layer statistics with a log-scale bar of the gradient norm, the summary over depth, the verdict,
// the time axis of recurrent layers, float32 underflow and the anomaly check, as text, JSON or CSV,
// and on request as an HTML report.
#include <cstdint>
#include <memory>

#include <fmt/format.h>

#include "commands.h"
#include "gradlab/autograd/activations.h"
#include "gradlab/io/atomic_file.h"
#include "gradlab/lab/probe_configuration.h"
#include "gradlab/lab/recurrent_network.h"
#include "gradlab/lab/skip_network.h"
#include "gradlab/nn/initializers.h"
#include "model_files.h"
#include "probe_report.h"
#include "report_probe.h"

namespace gradlab::cli {

void add_probe_command(CLI::App& app, CommandRun& run) {
  struct Options {
    ProbeSettings probe;
    bool json = false, csv = false;
    double sigma_w2 = 1, sigma_b2 = 0;
    std::string out, report, grid_csv;
    std::vector<int64_t> image;
  };
  auto o = std::make_shared<Options>();
  ProbeSettings& s = o->probe;
  FlowThresholds& t = s.thresholds;

  CLI::App* cmd = app.add_subcommand("probe", "Probe one pass of a network layer by layer: where gradients vanish or explode, and why");
  cmd->footer(
      "Examples:\n"
      "  gradlab probe --depth 50 --width 256 --activation tanh --norm layer --skip residual --batch 64\n"
      "  gradlab probe --depth 60 --activation sigmoid --dtype float64\n"
      "  gradlab probe --cell lstm --time-steps 100 --layers 2 --units 64   (the gradient through layers x time)\n"
      "  gradlab probe --cell simple_rnn --time-steps 200 --recurrent-init glorot_uniform --norm layer\n"
      "  gradlab probe --conv --depth 20 --filters 32 --norm group --skip identity   (a CNN on 28x28x1 images)\n"
      "  gradlab probe --model net.json --weights w.safetensors --input x.safetensors --json\n"
      "  gradlab probe --model mlp.json --data fashion-mnist --limit 256   (real images as the input)\n"
      "  gradlab probe --model examples/specs/fashion_cnn.json --data fashion-mnist-images\n"
      "  gradlab probe --cell lstm --data fashion-mnist-sequence   (28 steps of 28 pixels)\n"
      "  gradlab probe --model net.json --data houses.csv --label-column price\n"
      "  gradlab probe --model net.json --init he_uniform --activation tanh --seed 42   (a row of gradlab sweep --model)\n"
      "See docs/instruments.md for every statistic and threshold.");
  CLI::Option* model = cmd->add_option("--model", s.model, "Model spec (JSON) instead of the inline network; - reads standard input");
  CLI::Option* weights = cmd->add_option("--weights", s.weights, "Weights of --model (safetensors); fresh initialization from --seed if absent");
  weights->needs(model);
  CLI::Option* input = cmd->add_option("--input", s.input, "Input data (safetensors): one [batch, features] tensor, or one per model input");
  CLI::Option* data = add_data_options(cmd, s.data, input);
  const auto network_option = [&](CLI::Option* option) {
    option->excludes(model)->capture_default_str();
    return option;
  };
  network_option(cmd->add_option("--depth,--depths,--layers", s.depth, "Inline network: number of Dense (or, with --cell, recurrent) layers")
                     ->check(CLI::Range(1, kMaxProbeDepth)));
  CLI::Option* width = network_option(cmd->add_option("--width,--units", s.width, "Inline network: units of every layer")->check(CLI::Range(int64_t{1}, kMaxProbeUnits)));
  // The inline recurrent network (lab/recurrent_network.h): a stack of one cell over a drawn sequence.
  CLI::Option* cell = network_option(cmd->add_option("--cell", s.cell, "Inline recurrent network instead of Dense layers: the cell of every layer (Keras's SimpleRNN, LSTM, GRU)")
                                         ->check(CLI::IsMember(recurrent_cell_names())));
  network_option(cmd->add_option("--time-steps", s.time_steps, "Inline recurrent network: time steps of the drawn sequence")
                     ->check(CLI::Range(int64_t{1}, kMaxProbeTimeSteps))
                     ->needs(cell)
                     ->excludes(data));
  network_option(cmd->add_option("--recurrent-init,--recurrent-initializer", s.recurrent_init, "Inline recurrent network: recurrent kernel initializer (Keras's orthogonal)")
                     ->check(kInitializerName)
                     ->needs(cell));
  // The inline convolutional network (lab/conv_network.h): --depth blocks of Conv2D on drawn images.
  CLI::Option* conv = network_option(cmd->add_flag("--conv", s.conv, "Inline convolutional network instead of Dense layers: --depth blocks of Conv2D (same padding), then global average pooling and Dense(10)"));
  network_option(cmd->add_option("--filters", s.filters, "Inline convolutional network: filters of every convolution")
                     ->check(CLI::Range(int64_t{1}, kMaxProbeUnits))
                     ->needs(conv));
  network_option(cmd->add_option("--kernel-size", s.kernel_size, "Inline convolutional network: height and width of every kernel")
                     ->check(CLI::Range(int64_t{1}, int64_t{1024}))
                     ->needs(conv));
  network_option(cmd->add_option("--image", o->image, "Inline convolutional network: the drawn images' height,width,channels (default 28,28,1, Fashion-MNIST's)")
                     ->delimiter(',')
                     ->expected(3)
                     ->check(CLI::Range(int64_t{1}, int64_t{1} << 16))
                     ->needs(conv)
                     ->excludes(data));
  // With --model these two make the variant `gradlab sweep --model` probes (apply_spec_overrides).
  CLI::Option* activation = cmd->add_option("--activation,--activations", s.activation,
                                            "Inline network: activation (with --cell: the cell's, default tanh); with --model: of every hidden layer with a non-linear one")
                                ->check(CLI::IsMember(activation_names()))
                                ->capture_default_str();
  CLI::Option* init = cmd->add_option("--init,--initializer,--initializers", s.init, "Inline network: kernel initializer; with --model: of every Dense layer")
                          ->check(kInitializerName)
                          ->excludes(weights)  // loaded weights replace the kernels it would draw
                          ->capture_default_str();
  // Poole et al. 2016: weights N(0, sigma_w2 / fan_in), biases N(0, sigma_b2), in place of --init.
  CLI::Option* sigma_w2 = cmd->add_option("--sigma-w2", o->sigma_w2, "Inline network: weight variance times fan_in, weights N(0, sigma_w2/fan_in), in place of --init")
                              ->check(kVariance)
                              ->excludes(model)
                              ->excludes(init);
  cmd->add_option("--sigma-b2", o->sigma_b2, "Inline network, with --sigma-w2: bias variance, biases N(0, sigma_b2) (default 0)")
      ->check(kVariance)
      ->needs(sigma_w2);
  network_option(cmd->add_option("--norm,--norms", s.norm, "Inline network: normalization after each Dense layer (group: GroupNormalization with the largest divisor of the units <= min(32, units / 8) as groups, 4 at 32 units, not Keras's default 32)")
                     ->check(CLI::IsMember(skip_normalization_names())));
  network_option(cmd->add_option("--skip,--skips", s.skip, "Inline network: skip connections")->check(CLI::IsMember(skip_connection_names())));
  CLI::Option* features = network_option(cmd->add_option("--features", s.features, "Inline network: features of the drawn input")
                     ->check(CLI::Range(int64_t{1}, kMaxProbeUnits)))
      ->excludes(input)
      ->excludes(data);
  cmd->add_option("--batch", s.batch, "Rows of the drawn input")->check(CLI::Range(int64_t{1}, kMaxProbeUnits))->excludes(input)->excludes(data)->capture_default_str();
  cmd->add_option("--input-dist", s.input_dist, "Distribution of the drawn input: uniform U[0, 1) or normal N(0, 1)")
      ->check(CLI::IsMember({"uniform", "normal"}))
      ->excludes(input)
      ->excludes(data)
      ->capture_default_str();
  cmd->add_option("--seed", s.seed, "Seed of the drawn input and fresh weights")->check(kUnsignedDigits)->capture_default_str();
  cmd->add_option("--dtype", s.dtype, "Element type (default: float32, or that of --weights); float64 measures what float32 loses")
      ->check(CLI::IsMember({"float32", "float64"}));
  cmd->add_option("--mode", s.mode, "training (batch statistics, as a training step sees) or inference")
      ->check(CLI::IsMember({"training", "inference"}))
      ->capture_default_str();
  cmd->add_option("--probe-loss", s.probe_loss,
                  "Scalar differentiated: mean (mean of the output, the lesson's), random_projection (mean of the output "
                  "times a fixed N(0, 1) tensor drawn from --seed), or auto: random_projection when batch normalization "
                  "runs in training mode (its backward removes the batch mean of a constant upstream gradient, Ioffe & "
                  "Szegedy 2015), mean otherwise")
      ->check(CLI::IsMember(probe_loss_names()))
      ->capture_default_str();
  cmd->add_option("--trainable-depth-scales", t.trainable_depth_scales,
                  "Verdict vanishing or exploding when the network is deeper than this many depth scales xi = 1/|ln g| "
                  "of its squared-gradient gain g per layer (Schoenholz et al. 2017: trainable up to about 6)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--saturation-threshold", t.saturated_fraction, "Saturation begins where a layer's saturated fraction exceeds this")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--dead-batches", s.dead_batches,
                  "Batches of drawn input (each of --batch rows, the probed one first) over which a relu unit counts as "
                  "dead when it is 0 for every example (Lu et al. 2019); with --input or --data, the given examples")
      ->check(CLI::Range(1, kMaxDeadUnitBatches))
      ->capture_default_str();
  cmd->add_option("--dead-threshold", t.dead_fraction, "Dead units begin where a layer's share of units dead over the --dead-batches exceeds this")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  // With --data the examples are the input: --cell takes a sequence view (fashion-mnist-sequence), --conv
  // an image view (fashion-mnist-images), each network built for the examples' shape.
  cell->excludes(sigma_w2);
  conv->excludes(cell)->excludes(sigma_w2)->excludes(width)->excludes(features);
  cmd->add_flag("--jacobian-spectrum", s.jacobian_spectrum,
                "Inline Dense network: also the singular values of its input-output Jacobian for the first example at depths "
                "1, 2, 4, ... and the full depth (dynamical isometry, Pennington et al. 2017; float64, one backward pass per unit)");
  CLI::Option* json = cmd->add_flag("--json", o->json, "Print one JSON object instead of the table");
  cmd->add_flag("--csv", o->csv, "Print CSV, one row per layer call, instead of the table")->excludes(json);
  cmd->add_option("--out", o->out, "Write to this file (atomically) instead of standard output");
  cmd->add_option("--report", o->report, "Also write an interactive HTML report (charts and the per-layer table) to this file");
  cmd->add_option("--grid-csv", o->grid_csv, "With recurrent layers: also write the layers x time grid of |dL/dh_t| (layer,cell,step,state_grad_norm) to this file");

  cmd->callback([o, &run, init, activation, sigma_w2, cell] {
    if (o->image.size() == 3) o->probe.image = {o->image[0], o->image[1], o->image[2]};
    if (cell->count() > 0 && activation->count() == 0) o->probe.activation = RecurrentNetworkOptions{}.activation;
    if (sigma_w2->count() > 0) o->probe.gaussian_init = GaussianInit{.sigma_w2 = o->sigma_w2, .sigma_b2 = o->sigma_b2};
    if (!o->probe.model.empty() && init->count() > 0) o->probe.overrides.kernel_initializer = o->probe.init;
    if (!o->probe.model.empty() && activation->count() > 0) o->probe.overrides.hidden_activation = o->probe.activation;
    run = [o] {
      const ProbeSettings& s = o->probe;
      check_output_path("--out", o->out);
      check_output_path("--report", o->report);
      check_output_path("--grid-csv", o->grid_csv);
      const ProbeReport report = run_probe(s);
      std::string text;
      if (o->json) {
        text = probe_json(report).dump(2) + "\n";
      } else if (o->csv) {
        text = probe_csv(report);
      } else {
        text = probe_text(report);
      }
      if (o->out.empty()) {
        write_stdout(text);
      } else {
        as_bad_input([&] { write_file_atomically(o->out, text); });
      }
      if (!o->report.empty()) as_bad_input([&] { write_file_atomically(o->report, probe_html(report)); });
      if (!o->grid_csv.empty()) as_bad_input([&] { write_file_atomically(o->grid_csv, through_time_csv(report.through_time)); });
    };
  });
}

}  // namespace gradlab::cli
