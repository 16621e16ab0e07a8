// The lesson's residual and concat-skip networks as functional models (keras.Model(inputs, outputs)):
// the graph is declared once on symbolic inputs, then called on real data under a GradientTape.
#include <cstdio>
#include <iostream>

#include <gradlab/gradlab.h>

using namespace gradlab;

double input_gradient_norm(const Model& model, const Tensor& inputs) {
  GradientTape tape;
  tape.watch(inputs);
  Tensor mean_out = mean(model(inputs));
  return norm(tape.gradient(mean_out, inputs)).item();
}

int main() {
  Tensor inputs = uniform({32, 128}, default_rng());

  SymbolicTensor x = Input({128});
  Dense r1(32, {.activation = "relu"}), r2(32, {.activation = "relu"}), r3(32, {.activation = "relu"}),
      r4(32, {.activation = "relu"});
  SymbolicTensor l1 = r1(x), l2 = r2(l1);
  SymbolicTensor l3 = r3(Add()({l2, l1}));
  SymbolicTensor l4 = r4(Add()({l3, l2}));
  Model residual({x}, {l4}, "residual");
  std::cout << residual.summary() << "\n";
  std::printf("residual: gradient norm for the input %.9g\n\n", input_gradient_norm(residual, inputs));

  SymbolicTensor y = Input({128});
  Dense c1(32, {.activation = "relu"}), c2(32, {.activation = "relu"}), c3(32, {.activation = "relu"}),
      c4(32, {.activation = "relu"});
  SymbolicTensor k1 = c1(y);
  SymbolicTensor k2 = c2(Concatenate()({k1, y}));
  SymbolicTensor k3 = c3(Concatenate()({k2, k1, y}));
  SymbolicTensor k4 = c4(Concatenate()({k3, k2, k1}));
  Model concat_skip({y}, {k4}, "concat_skip");
  std::cout << concat_skip.summary() << "\n";
  std::printf("concat skip: gradient norm for the input %.9g\n", input_gradient_norm(concat_skip, inputs));
}
