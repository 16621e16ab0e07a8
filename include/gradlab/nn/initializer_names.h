#pragma once
/// The initializer vocabulary as people should see it: the canonical names only.
///
///   canonical_initializer_names();  // {"zeros", "ones", ..., "he_uniform", ..., "torch_linear_bias"}

#include <string>
#include <vector>

namespace gradlab {

/// The canonical names (snake_case, one per initializer), as error messages and help list them;
/// initializer_names() (initializers.h) also holds Keras's class names (HeUniform) and the aliases
/// (uniform, normal, one, zero) that Initializer(name) accepts.
const std::vector<std::string>& canonical_initializer_names();

}  // namespace gradlab
