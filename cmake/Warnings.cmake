# Flags shared by every gradlab target.
add_library(gradlab_flags INTERFACE)
target_compile_options(gradlab_flags INTERFACE -Wall -Wextra -Wpedantic -Wno-missing-field-initializers)
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
