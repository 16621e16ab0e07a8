# Every dependency is a Debian package found by CMake; nothing is downloaded or vendored.
find_package(OpenBLAS REQUIRED CONFIG)
add_library(gradlab_blas INTERFACE)
target_include_directories(gradlab_blas SYSTEM INTERFACE ${OpenBLAS_INCLUDE_DIRS})
target_link_libraries(gradlab_blas INTERFACE ${OpenBLAS_LIBRARIES})

# oneDNN (libdnnl-dev) computes float32 products. Its CMake package config also demands OpenCL's
# headers, which the CPU library never uses, so the header and library are looked up directly.
find_path(GRADLAB_DNNL_INCLUDE oneapi/dnnl/dnnl.h REQUIRED)
find_library(GRADLAB_DNNL_LIBRARY NAMES dnnl REQUIRED)
# Debian's oneDNN runs on GNU OpenMP. gradlab calls two of its functions (omp_get_max_threads,
# omp_set_num_threads) to keep each oneDNN call on its calling thread, so it links the same runtime
# by name, whatever the compiler (clang's -fopenmp would bring a second OpenMP runtime).
find_library(GRADLAB_GOMP_LIBRARY NAMES gomp libgomp.so.1 REQUIRED)
target_include_directories(gradlab_blas SYSTEM INTERFACE ${GRADLAB_DNNL_INCLUDE})
target_link_libraries(gradlab_blas INTERFACE ${GRADLAB_DNNL_LIBRARY} ${GRADLAB_GOMP_LIBRARY})

find_package(Threads REQUIRED)
find_package(fmt REQUIRED CONFIG)
find_package(nlohmann_json REQUIRED CONFIG)
find_package(CLI11 REQUIRED CONFIG)
find_package(ZLIB REQUIRED)
if(GRADLAB_BUILD_TESTS)
  find_package(GTest REQUIRED CONFIG)
endif()
if(GRADLAB_BUILD_BENCH)
  find_package(benchmark REQUIRED CONFIG)
endif()
