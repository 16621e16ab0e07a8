// The lesson's skip-connection cells (In [192] to In [194]): the norm of the gradient of the mean
// output with respect to the input, for four Dense(32, relu) layers without skips, with residual
// additions, and with concatenated skips.
#include <cstdio>

#include <gradlab/gradlab.h>

using namespace gradlab;

void print_gradient_norm(GradientTape& tape, const Tensor& mean_out, const Tensor& inputs) {
  std::printf("gradient norm for the input %.9g\n", norm(tape.gradient(mean_out, inputs)).item());
}

int main() {
  {  // no skip or residual connections
    Tensor inputs = uniform({32, 128}, default_rng());
    Dense layer1(32, {.activation = "relu"}), layer2(32, {.activation = "relu"}),
        layer3(32, {.activation = "relu"}), layer4(32, {.activation = "relu"});
    GradientTape tape;
    tape.watch(inputs);
    Tensor layer1_out = layer1(inputs);
    Tensor layer2_out = layer2(layer1_out);
    Tensor layer3_out = layer3(layer2_out);
    Tensor layer4_out = layer4(layer3_out);
    print_gradient_norm(tape, mean(layer4_out), inputs);  // lesson: 0.0202007275
  }
  {  // residual connections
    Tensor inputs = uniform({32, 128}, default_rng());
    Dense layer1(32, {.activation = "relu"}), layer2(32, {.activation = "relu"}),
        layer3(32, {.activation = "relu"}), layer4(32, {.activation = "relu"});
    GradientTape tape;
    tape.watch(inputs);
    Tensor layer1_out = layer1(inputs);
    Tensor layer2_out = layer2(layer1_out);
    Tensor layer3_out = layer3(layer2_out + layer1_out);  // residual connection
    Tensor layer4_out = layer4(layer3_out + layer2_out);  // residual connection
    print_gradient_norm(tape, mean(layer4_out), inputs);  // lesson: 0.0324114449
  }
  {  // concatenated skip connections
    Tensor inputs = uniform({32, 128}, default_rng());
    Dense layer1(32, {.activation = "relu"}), layer2(32, {.activation = "relu"}),
        layer3(32, {.activation = "relu"}), layer4(32, {.activation = "relu"});
    GradientTape tape;
    tape.watch(inputs);
    Tensor layer1_out = layer1(inputs);
    Tensor layer2_out = layer2(concat({layer1_out, inputs}, -1));                          // skip connection
    Tensor layer3_out = layer3(concat({layer2_out, layer1_out, inputs}, -1));              // skip connection
    Tensor layer4_out = layer4(concat({layer3_out, layer2_out, layer1_out}, -1));          // skip connection
    print_gradient_norm(tape, mean(layer4_out), inputs);  // lesson: 0.0306733567
  }
}
