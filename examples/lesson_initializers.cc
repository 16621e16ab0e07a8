// The lesson's initializer cells (In [15] and In [16]): build a Dense layer on a uniform input and
// print the variance of its kernel, for He-uniform and Glorot-uniform, 10 -> 32 and 100 -> 128.
#include <cstdio>

#include <gradlab/gradlab.h>

using namespace gradlab;

void print_kernel_variance(int64_t features, int64_t units, const Initializer& initializer) {
  Tensor tensor = uniform({32, features}, default_rng());
  Dense layer(units, {.kernel_initializer = initializer});
  layer(tensor);
  std::printf("variance of weights %.8g\n", variance(layer.trainable_variables()[0].value()).item());
}

int main() {
  // He-uniform: U[-limit, limit] with limit = sqrt(6 / n_inputs), so variance 2 / n_inputs.
  print_kernel_variance(10, 32, he_uniform());    // lesson: 0.19253153
  print_kernel_variance(100, 128, he_uniform());  // lesson: 0.019861732

  // Glorot-uniform (Keras's default): limit = sqrt(6 / (n_inputs + n_outputs)).
  print_kernel_variance(10, 32, glorot_uniform());    // lesson: 0.04799015
  print_kernel_variance(100, 128, glorot_uniform());  // lesson: 0.008802493
}
