# Flags shared by every gradlab target.
add_library(gradlab_flags INTERFACE)
target_compile_options(gradlab_flags INTERFACE -Wall -Wextra -Wpedantic -Wno-missing-field-initializers)
# Nothing in gradlab reads errno after a math function, and keeping it set made GCC call libm for
# every sqrt of a loop instead of vectorizing it (Adam's update ran scalar: 22% of a training epoch).
# Results do not change: sqrt is correctly rounded either way, and no other function is replaced.
target_compile_options(gradlab_flags INTERFACE -fno-math-errno)
if(GRADLAB_NATIVE AND NOT GRADLAB_SANITIZE)
  # Debian's GCC 12.2 miscompiles some vector initializers with AVX-512 enabled (seen on Zen 4:
  # std::vector<double>{2, 2, 0, 0} became {2, 2, 2, 2} at -O2), so AVX-512 stays off; BLAS picks
  # its own kernels at run time either way.
  target_compile_options(gradlab_flags INTERFACE -march=native -mno-avx512f)
endif()
if(GRADLAB_SANITIZE)
  set(_san -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_compile_options(gradlab_flags INTERFACE ${_san} -O1 -g)
  target_link_options(gradlab_flags INTERFACE ${_san})
endif()
