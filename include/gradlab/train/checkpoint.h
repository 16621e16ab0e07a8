#pragma once
/// Checkpoints: everything a training run needs to continue exactly, in ONE safetensors file written
/// atomically (temporary file + rename), so an interruption never leaves a half-written checkpoint.
///
///   CheckpointCallback save_each_epoch("run.safetensors");          // also on interruption
///   History h = fit(model, train, {..., .callbacks = {&save_each_epoch},
///                                  .should_stop = interrupt_requested});
///   ...
///   // later, a fresh process: the same model and optimizer settings
///   History resumed = load_checkpoint("run.safetensors", model, *optimizer);
///   fit(model, train, {..., .optimizer = optimizer, .resume = resumed});  // bit-identical end
///
/// Contents: tensors "model/<variable>" (every variable, non-trainable ones too) and
/// "optimizer/<entry>" (Optimizer::state(): slots and iterations); metadata "format"
/// ("gradlab-checkpoint-1"), "model" (its name), "optimizer" (its description), "history"
/// (History::to_json(): epochs, samples and progress — epoch, step within it, global step, the
/// epoch's running sums, seed, batch size), "rng/default" (the thread's default_rng()) and
/// "rng/<layer>" for each Dropout layer's mask generator ("seed counter_low counter_high").
/// The shuffle order needs no state: it is recomputed from (seed, epoch).

#include <string>

#include "gradlab/io/safetensors.h"
#include "gradlab/nn/layer.h"
#include "gradlab/optim/optimizer.h"
#include "gradlab/train/callbacks.h"
#include "gradlab/train/history.h"

namespace gradlab {

/// The "format" metadata value of a checkpoint.
inline constexpr const char* kCheckpointFormat = "gradlab-checkpoint-1";

/// Writes model, optimizer, the random generators and `history` (with its progress) to `path`
/// atomically. Error naming the path when it cannot be written.
void save_checkpoint(const std::string& path, const Layer& model, const Optimizer& optimizer, const History& history);

/// Restores `model`'s variables, `optimizer`'s state and the random generators from the checkpoint
/// at `path`, and returns its history for FitOptions::resume. Everything is checked before anything
/// changes: a file that is not a gradlab checkpoint, or one from a different model (a variable
/// missing, extra, or of another shape or dtype) or optimizer, is an Error naming the file and the
/// first difference.
History load_checkpoint(const std::string& path, const Layer& model, Optimizer& optimizer);

/// The same checks and restore, from a checkpoint already parsed, e.g.
/// `load_checkpoint(parse_safetensors(bytes, "upload"), model, optimizer)`; errors name file.source().
History load_checkpoint(const TensorFile& file, const Layer& model, Optimizer& optimizer);

/// Saves a checkpoint at the end of every epoch, and at the end of training when the run stopped
/// within an epoch (should_stop, max_steps, a callback), so that it can be resumed there.
class CheckpointCallback : public Callback {
 public:
  explicit CheckpointCallback(std::string path);
  void on_epoch_end(int64_t epoch, const EpochLogs& logs) override;
  void on_train_end() override;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace gradlab
